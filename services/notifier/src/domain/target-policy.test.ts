import { describe, expect, it } from 'vitest';
import { checkAddress, checkWebhookUrl, parsePatterns, targetPolicy } from './target-policy.js';

describe('webhook target policy', () => {
  const none = targetPolicy([], []);

  it('allows public http(s) targets and refuses other protocols and credentials', () => {
    expect(checkWebhookUrl(none, 'https://hooks.example.com/telltale')).toEqual({
      ok: true,
      value: { protocol: 'https:', hostname: 'hooks.example.com', port: 443 },
    });
    expect(checkWebhookUrl(none, 'http://93.184.216.34:8080/x').ok).toBe(true);
    expect(checkWebhookUrl(none, 'ftp://hooks.example.com/').ok).toBe(false);
    expect(checkWebhookUrl(none, 'file:///etc/passwd').ok).toBe(false);
    expect(checkWebhookUrl(none, 'https://user:pw@hooks.example.com/').ok).toBe(false);
    expect(checkWebhookUrl(none, 'not a url').ok).toBe(false);
  });

  it('refuses private, loopback, link-local and mapped addresses by default', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(checkAddress(none, 'hooks.example.com', address).ok, address).toBe(false);
    }
    expect(checkWebhookUrl(none, 'http://127.0.0.1:9000/').ok).toBe(false);
    expect(checkWebhookUrl(none, 'http://[::1]:9000/').ok).toBe(false);
    expect(checkAddress(none, 'hooks.example.com', '93.184.216.34')).toEqual({ ok: true, value: '93.184.216.34' });
  });

  it('lets the allow list open private targets by address, CIDR or host name', () => {
    const policy = targetPolicy(['127.0.0.1', '10.0.0.0/8', 'receiver.internal', '*.corp.example'], []);
    expect(checkWebhookUrl(policy, 'http://127.0.0.1:9000/').ok).toBe(true);
    expect(checkAddress(policy, 'x.example.com', '10.9.9.9').ok).toBe(true);
    expect(checkAddress(policy, 'receiver.internal', '192.168.0.5').ok).toBe(true);
    expect(checkAddress(policy, 'a.corp.example', '192.168.0.5').ok).toBe(true);
    expect(checkAddress(policy, 'x.example.com', '127.0.0.2').ok).toBe(false);
  });

  it('applies the deny list to names and addresses; allow wins over deny', () => {
    const policy = targetPolicy(['203.0.113.7'], ['evil.example.com', '*.blocked.example', '203.0.113.0/24']);
    expect(checkWebhookUrl(policy, 'https://evil.example.com/').ok).toBe(false);
    expect(checkWebhookUrl(policy, 'https://a.blocked.example/').ok).toBe(false);
    expect(checkAddress(policy, 'ok.example.com', '203.0.113.9').ok).toBe(false);
    expect(checkAddress(policy, 'ok.example.com', '203.0.113.7').ok).toBe(true);
  });

  it('rejects malformed list entries, naming them', () => {
    expect(parsePatterns(['10.0.0.0/99'])).toEqual({
      ok: false,
      problems: ['"10.0.0.0/99" is not a host name, *.suffix, IP address or CIDR'],
    });
    expect(parsePatterns(['bad host']).ok).toBe(false);
    expect(parsePatterns(['hooks.example.com', '::1/128', '*.example.org']).ok).toBe(true);
  });
});
