/**
 * @module release-notes
 * How the server's release notes reach the GitHub release: register-release leaves them in this variable for the
 * later steps of its job (as upload-r2 leaves its credential in TAURI_RELEASE_CREDENTIAL), and github-release's
 * publish mode, run after it in the same final job, makes them the release's notes when its body input is empty.
 */
export const RELEASE_NOTES_ENV = 'TAURI_RELEASE_NOTES';
