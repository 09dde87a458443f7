import { describe, expect, it } from '@jest/globals';
import { dynamicUpdateUrl, staticManifestUrl } from './endpoints.ts';

describe('dynamicUpdateUrl', () => {
  it("is the update check's route with Tauri's placeholders; only another channel than stable is named", () => {
    expect(dynamicUpdateUrl('https://updates.example.com/', 'my-app')).toBe(
      'https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}',
    );
    expect(dynamicUpdateUrl('https://updates.example.com', 'my-app', 'beta')).toBe(
      'https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}&channel=beta',
    );
  });
});

describe('staticManifestUrl', () => {
  it("is the API's /{app}/latest.json, or the stored file when the bucket is public", () => {
    expect(staticManifestUrl('https://updates.example.com', 'my-app')).toBe('https://updates.example.com/my-app/latest.json');
    expect(staticManifestUrl('https://updates.example.com', 'my-app', 'beta')).toBe('https://updates.example.com/my-app/latest.json?channel=beta');
    expect(staticManifestUrl('https://updates.example.com', 'my-app', 'beta', 'https://cdn.example.com/')).toBe('https://cdn.example.com/my-app/channels/beta/latest.json');
  });
});
