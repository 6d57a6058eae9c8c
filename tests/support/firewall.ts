/**
 * nftables rules inside a test host's network namespace (Debian's nftables): the way to make a
 * host's network behave like an office or hotel network that lets no UDP through.
 */
import { execFile } from 'node:child_process';

function nft(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`nft in ${netns} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
    child.stdin?.end(script);
  });
}

/** Drops every UDP packet the namespace sends or receives (DNS included: tests use addresses). */
export function blockUdp(netns: string): Promise<void> {
  return nft(
    netns,
    `table inet veil_test {
       chain out { type filter hook output priority 0; meta l4proto udp drop; }
       chain in { type filter hook input priority 0; meta l4proto udp drop; }
     }
    `,
  );
}

/** Drops everything the namespace sends or receives but its loopback: its network is gone. */
export function blockAll(netns: string): Promise<void> {
  return nft(
    netns,
    `table inet veil_test {
       chain out { type filter hook output priority 0; oifname "lo" accept; drop; }
       chain in { type filter hook input priority 0; iifname "lo" accept; drop; }
     }
    `,
  );
}

/** Removes every rule blockUdp() or blockAll() added: the network is back. */
export function unblock(netns: string): Promise<void> {
  return nft(netns, 'delete table inet veil_test\n');
}
