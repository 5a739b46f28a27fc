// A PostgreSQL restart under a service: a client checked out of the pool (a transaction between two statements)
// loses its server connection. The process must not crash on pg's 'error' event; the next query on that client
// rejects, and the pool hands out a working connection afterwards. (The chaos run found the store exiting on a
// PostgreSQL restart this way; here the backend is terminated instead of restarting the shared server.)
import { describe, expect, it } from 'vitest';
import { createPgPool } from '@telltale/platform/db';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

describe('PostgreSQL connection lost while a client is checked out', () => {
  it('does not crash the process; the broken client rejects, the pool recovers', async () => {
    const pool = createPgPool({
      url: LOCAL.postgresUrl,
      schema: 'public',
      max: 2,
      applicationName: uniqueName('pgloss'),
    });
    const admin = createPgPool({ url: LOCAL.postgresUrl, schema: 'public', max: 1 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the socket closes while nothing is queried
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      const { rows: again } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(again[0]!.one).toBe(1);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await pool.end();
      await admin.end();
    }
  });
});
