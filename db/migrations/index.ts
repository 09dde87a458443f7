/**
 * @module migrations
 * A static map rather than `FileMigrationProvider`: bundlers (ncc, Vercel's tracer) cannot follow a
 * runtime `import()` of a folder. A test checks that every file in this folder is listed here.
 */
import type { Migration, MigrationProvider } from 'kysely/migration';
import * as initial from './2026_11_22_0001_initial.ts';
import * as trustedPublishing from './2026_11_22_0002_trusted_publishing.ts';
import * as artifactVerification from './2026_11_22_0003_artifact_verification.ts';
import * as releasePolicy from './2026_11_22_0004_release_policy.ts';
import * as analytics from './2026_11_22_0006_analytics.ts';
import * as webhooks from './2026_11_22_0007_webhooks.ts';
import * as uiSessions from './2026_11_22_0008_ui_sessions.ts';
import * as rateLimits from './2026_12_06_0009_rate_limits.ts';
import * as githubSources from './2026_12_06_0010_github_sources.ts';
import * as licensing from './2026_12_07_0011_licensing.ts';
import * as inboundDeliveries from './2026_12_07_0012_inbound_deliveries.ts';
import * as licenseFileKeys from './2026_12_07_0014_license_file_keys.ts';
import * as paymentIntegrations from './2026_12_07_0015_payment_integrations.ts';
import * as installers from './2026_12_07_0016_installers.ts';
import * as paymentLinks from './2026_12_07_0017_payment_links.ts';
import * as heldRevocations from './2026_12_07_0018_held_revocations.ts';
import * as heldRenewals from './2026_12_07_0020_held_renewals.ts';
import * as paymentLinkTimes from './2026_12_07_0019_payment_link_times.ts';
import * as claimAnnouncements from './2026_12_07_0021_claim_announcements.ts';
import * as paymentLinkDetach from './2026_12_07_0022_payment_link_detach.ts';

export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_initial': initial,
  '2026_11_22_0002_trusted_publishing': trustedPublishing,
  '2026_11_22_0003_artifact_verification': artifactVerification,
  '2026_11_22_0004_release_policy': releasePolicy,
  '2026_11_22_0006_analytics': analytics,
  '2026_11_22_0007_webhooks': webhooks,
  '2026_11_22_0008_ui_sessions': uiSessions,
  '2026_12_06_0009_rate_limits': rateLimits,
  '2026_12_06_0010_github_sources': githubSources,
  '2026_12_07_0011_licensing': licensing,
  '2026_12_07_0012_inbound_deliveries': inboundDeliveries,
  '2026_12_07_0014_license_file_keys': licenseFileKeys,
  '2026_12_07_0015_payment_integrations': paymentIntegrations,
  '2026_12_07_0016_installers': installers,
  '2026_12_07_0017_payment_links': paymentLinks,
  '2026_12_07_0018_held_revocations': heldRevocations,
  '2026_12_07_0019_payment_link_times': paymentLinkTimes,
  '2026_12_07_0020_held_renewals': heldRenewals,
  '2026_12_07_0021_claim_announcements': claimAnnouncements,
  '2026_12_07_0022_payment_link_detach': paymentLinkDetach,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
