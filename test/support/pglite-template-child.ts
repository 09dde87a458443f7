// `node test/support/pglite-template-child.ts <folder>`: a new PGlite database in <folder>/pglite, opened and
// migrated exactly as `npm start` does on a first start, then closed (see pglite-template.ts).
import { openPGlite } from '../../db/pglite.ts';
import { migrateToLatest } from '../../db/migrate.ts';

const handle = await openPGlite({ dataDir: process.argv[2]! });
try {
  await migrateToLatest(handle.db);
} finally {
  await handle.close();
}
