/**
 * @module ui/client/pages/platform-checklist
 * Which of the platforms the app ships (release-facts.ts `appPlatforms`, the releases list's measure too) and their
 * bundles a release has an artifact for, and the state of each artifact's signature.
 */
import type { ReleaseBody } from '../../../protocol/schemas.ts';
import { formatBytes } from '../components.tsx';
import { platformChecklist, platformCoverage } from '../release-facts.ts';

export function PlatformChecklist({ release, platforms }: { release: ReleaseBody; platforms: readonly string[] }) {
  const rows = platformChecklist(release.artifacts, platforms);
  const coverage = platformCoverage(release.artifacts, platforms);
  return (
    <section class="card" aria-label="Platform checklist">
      <h2>Platforms</h2>
      <p class="muted small">
        {coverage.label} have an artifact: the usual targets and any other platform a published release of this app has. Installs on a platform this release lacks
        keep getting the newest older release that has one.
      </p>
      <div class="table-wrap">
        <table class="platform-checklist">
          <thead>
            <tr>
              <th scope="col">Platform</th>
              <th scope="col">Bundles</th>
              <th scope="col">Artifact</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const artifacts = release.artifacts.filter((artifact) => artifact.platform === row.platform);
              return (
                <tr key={row.platform} class={row.covered ? 'platform-covered' : 'platform-missing'}>
                  <th scope="row" class="mono">
                    {row.platform}
                  </th>
                  <td>
                    <ul class="bundle-list">
                      {row.bundles.map(({ bundle, covered: has }) => (
                        <li key={bundle} class={has ? 'bundle-yes' : 'bundle-no'}>
                          <span aria-hidden="true">{has ? '✓' : '–'}</span> {bundle}
                          <span class="visually-hidden">{has ? ' present' : ' missing'}</span>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {artifacts.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      artifacts.map((artifact) => (
                        <div key={artifact.id} class="small">
                          <span class="mono">{artifact.file_name}</span> · {formatBytes(artifact.size)}
                          {artifact.is_default ? ' · default' : ''} ·{' '}
                          {artifact.state === 'pending' ? 'upload incomplete' : artifact.verified_key_id ? `signed, key ${artifact.verified_key_id}` : 'signature unchecked'}
                        </div>
                      ))
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
