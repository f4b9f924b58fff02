// mailwright facts: what a server is, gathered in one SSH round trip, as JSON.
import { gatherFacts } from '../core/facts';
import type { CommandFn } from './command-types';
import { connectFromFlags, type ConnectFlags } from './connect';
import { printJson } from './output';

export const factsCommand: CommandFn = async ({ flags }, signal) => {
  const conn = await connectFromFlags(flags as ConnectFlags);
  try {
    printJson(await gatherFacts(conn, { signal }));
    return 0;
  } finally {
    conn.close();
  }
};
