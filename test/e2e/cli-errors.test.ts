/** Bad input on the command line: a clear message that names the bad value, a non-zero exit, no crash. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('countersign command line', () => {
  it('stops on bad settings, naming every bad variable, its value and the valid form (exit 2)', async () => {
    const result = await runCli(['serve'], {
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://me:pw@db/x',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT="eighty": expected an integer from 1 to 65535');
    expect(result.stderr).toContain(
      'LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(result.stderr).toContain(
      'DATABASE_URL="mysql://me:***@db/x": expected a PostgreSQL URL',
    );
    expect(result.stderr).not.toContain('pw@');
    expect(result.stderr).not.toMatch(/at loadConfig|node:internal/); // a message, not a stack trace
  });

  it('refuses an unknown command and lists the real ones', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stderr).toContain('import [options] <paths...>');
  });

  it('refuses a bad --concurrency, saying what is valid', async () => {
    const zero = await runCli(['import', '--concurrency', '0', 'x.csv']);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('"0" is not a whole number ≥ 1');
    const huge = await runCli(['import', '--concurrency', '500', 'x.csv'], {
      DATABASE_URL: 'postgres://127.0.0.1:1/x',
    });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain(
      '--concurrency 500 is not valid; use a whole number from 1 to 32',
    );
  });

  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('0.1.0');
  });
});
