/**
 * @module ui/client/pages/channel-move
 * Moving a published or archived release to another channel (a draft's channel is a field of the draft form), with
 * `PATCH /admin/apps/{app}/releases/{release}` `{channel}`: the new channel is typed or picked from the app's, and a
 * confirmation spells out what each channel offers afterwards (release-facts.ts `channelMoveSummary`).
 */
import { useEffect, useState } from 'hono/jsx/dom';
import { type ChannelBody, type ReleaseBody, releaseSchema, type ReleaseSummaryBody } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { Button, ConfirmDialog } from '../components.tsx';
import { channelMoveSummary } from '../release-facts.ts';
import { ChannelInput, channelProblem } from './release-fields.tsx';

export function ChannelMove(props: {
  app: string;
  release: ReleaseBody;
  published: ReleaseSummaryBody[];
  channels: ChannelBody[];
  onDone(release: ReleaseBody, message: string): void;
}) {
  const { app, release, published, channels, onDone } = props;
  const [channel, setChannel] = useState(release.channel);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setChannel(release.channel), [release.channel]);
  const to = channel.trim();
  const unchanged = to === release.channel;

  return (
    <>
      <form
        class="channel-move"
        aria-label="Channel"
        onSubmit={(event: Event) => {
          event.preventDefault();
          if (!unchanged && !channelProblem(to)) setConfirming(true);
        }}
      >
        <ChannelInput value={channel} channels={channels} onInput={setChannel} />
        <div class="actions actions-start">
          <Button type="submit" disabled={unchanged || Boolean(channelProblem(to))}>
            Move to channel
          </Button>
        </div>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Move ${release.version} to ${to}?`}
        confirmLabel="Move now"
        onClose={() => setConfirming(false)}
        onConfirm={async () => {
          const saved = await api.patch(adminPath('apps', app, 'releases', release.id), { channel: to }, releaseSchema);
          onDone(saved, `Release ${saved.version} moved to ${saved.channel}`);
        }}
      >
        {channelMoveSummary(release, published, channels, to).map((line) => (
          <p key={line}>{line}</p>
        ))}
      </ConfirmDialog>
    </>
  );
}
