// What the Vercel function runs: the control plane's Node (req, res) listener (../listener.ts), which is the interface
// the Build Output API's Node.js launcher calls.
export { default } from '../index.ts';
