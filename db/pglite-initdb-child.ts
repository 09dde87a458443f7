// `node db/pglite-initdb-child.ts <folder>`: a new PGlite database in <folder>, then exit (see pglite-initdb.ts).
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_START_PARAMS } from './pglite-initdb.ts';

const pglite = await PGlite.create({ dataDir: process.argv[2]!, startParams: [...PGLITE_START_PARAMS] });
await pglite.close();
