// What the Vercel function runs: the app behind a Node (req, res) listener, which is the interface the
// Build Output API's Node.js launcher calls.
import { getRequestListener } from '@hono/node-server';
import app from '../index.ts';

export default getRequestListener(app.fetch);
