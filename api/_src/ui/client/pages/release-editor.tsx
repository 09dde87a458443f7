/**
 * @module ui/client/pages/release-editor
 * `/ui/apps/:app/releases/:release`: working on one release. The page loads the release, the app, its published
 * releases and channels, and lays out the parts, each its own component: the draft form (draft-form.tsx) or the
 * release's facts and notes, the controls that change what installs are offered (release-actions.tsx), the platform
 * checklist (platform-checklist.tsx) and the artifacts panel (artifacts.tsx).
 */
import { type ReleaseBody, appSchema, releaseSchema } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { ArtifactsPanel } from '../artifacts.tsx';
import { ErrorNotice, formatDate, Loading, PageHeader, StatusBadge, useLoad, useToast } from '../components.tsx';
import { appPlatforms, liveByChannel } from '../release-facts.ts';
import type { PageProps } from '../router.tsx';
import { Link, navigate, uiPath } from '../router.tsx';
import { DraftForm } from './draft-form.tsx';
import { PlatformChecklist } from './platform-checklist.tsx';
import { ReleaseActions } from './release-actions.tsx';
import { NotesPreview } from './release-fields.tsx';
import { loadChannels, loadPublished, releasePath } from './releases.tsx';

function ReleaseHeader({ app, release, live }: { app: string; release: ReleaseBody; live: boolean }) {
  return (
    <PageHeader
      title={
        <>
          <span class="mono">{release.version}</span> <StatusBadge status={release.status} yanked={release.yanked_at !== null} />
          {live ? <span class="badge badge-ok live-badge">Live</span> : null}
          {release.critical ? <span class="badge badge-warn">Critical</span> : null}
        </>
      }
    >
      <Link href={uiPath('apps', app)} class="button button-quiet">
        All releases
      </Link>
    </PageHeader>
  );
}

function ReleaseFactsList({ release, replacement }: { release: ReleaseBody; replacement: string | null | undefined }) {
  return (
    <dl class="kv card">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={release.status} />
        {release.yanked_at ? ` yanked ${formatDate(release.yanked_at)}${replacement ? `; installs on it are offered ${replacement}` : '; no replacement'}` : ''}
      </dd>
      <dt>Channel</dt>
      <dd>{release.channel}</dd>
      <dt>Rollout</dt>
      <dd>{release.rollout_percent}%</dd>
      <dt>Published</dt>
      <dd>{formatDate(release.pub_date)}</dd>
      <dt>Created</dt>
      <dd>{formatDate(release.created_at)}</dd>
      <dt>Critical</dt>
      <dd>{release.critical ? 'yes' : 'no'}</dd>
      <dt>Minimum supported version</dt>
      <dd>{release.min_supported_version ?? 'none'}</dd>
    </dl>
  );
}

export function ReleaseEditorPage({ params }: PageProps) {
  const app = params.app!;
  const toast = useToast();
  const release = useLoad(() => api.get(adminPath('apps', app, 'releases', params.release!), releaseSchema), [app, params.release]);
  const appBody = useLoad(() => api.get(adminPath('apps', app), appSchema), [app]);
  const published = useLoad(() => loadPublished(app), [app]);
  const channels = useLoad(() => loadChannels(app), [app]);
  const replacementId = release.data?.replacement_release_id ?? null;
  const replacement = useLoad(
    () => (replacementId ? api.get(adminPath('apps', app, 'releases', replacementId), releaseSchema).then((body) => body.version) : Promise.resolve(null)),
    [app, replacementId],
  );

  const reloadAll = () => {
    release.reload();
    published.reload();
    channels.reload();
  };
  const done = (next: ReleaseBody | null, message: string) => {
    toast(message);
    if (next === null) navigate(uiPath('apps', app));
    else if (next.version !== params.release && next.id !== params.release) navigate(releasePath(app, next.version), { replace: true });
    else reloadAll();
  };

  if (release.error) {
    return (
      <>
        <PageHeader title={`Release ${params.release}`} />
        <ErrorNotice error={release.error} />
        <Link href={uiPath('apps', app)}>Back to the releases of {app}</Link>
      </>
    );
  }
  if (!release.data) return <Loading />;
  const current = release.data;
  const live = liveByChannel(published.data ?? []).get(current.channel)?.id === current.id;

  return (
    <>
      <ReleaseHeader app={app} release={current} live={live} />
      <ErrorNotice error={published.error || channels.error || appBody.error} />
      {current.status === 'draft' ? (
        <DraftForm key={current.updated_at} app={app} release={current} channels={channels.data} onSaved={(saved) => done(saved, `Draft ${saved.version} saved`)} />
      ) : (
        <div class="split release-details">
          <ReleaseFactsList release={current} replacement={replacement.data} />
          <NotesPreview notes={current.notes ?? ''} />
        </div>
      )}
      {published.data && channels.data ? (
        <ReleaseActions app={app} release={current} published={published.data} channels={channels.data} onDone={done} />
      ) : (
        <Loading />
      )}
      {published.data ? <PlatformChecklist release={current} platforms={appPlatforms(published.data)} /> : null}
      {appBody.data ? <ArtifactsPanel app={appBody.data} release={current} onChange={reloadAll} /> : null}
    </>
  );
}
