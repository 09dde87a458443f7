// `node test/support/pglite-template-child.ts migrated <folder>`: a new PGlite database in <folder>/pglite, opened and
// migrated exactly as `npm start` does on a first start, then closed.
// `node test/support/pglite-template-child.ts fresh <file>`: a dump of a new in-memory database, as `openPGlite()`
// makes it (the same start parameters), in <file>. See pglite-template.ts.
import { PGlite } from '@electric-sql/pglite';
import { writeFile } from 'node:fs/promises';
import { openPGlite } from '../../db/pglite.ts';
import { PGLITE_START_PARAMS } from '../../db/pglite-initdb.ts';
import { migrateToLatest } from '../../db/migrate.ts';

const [kind, target] = process.argv.slice(2) as [string, string];
if (kind === 'migrated') {
  const handle = await openPGlite({ dataDir: target });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
} else if (kind === 'fresh') {
  const pglite = await PGlite.create({ startParams: [...PGLITE_START_PARAMS] });
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  await writeFile(target, Buffer.from(await dump.arrayBuffer()));
} else {
  throw new Error(`unknown template kind ${kind}`);
}
