/**
 * The chaos run's own infrastructure, never the developer's: a three-node Kafka cluster
 * (deploy/local/kafka/cluster.sh), a redis-server, a Mosquitto with persistence and a PostgreSQL cluster
 * (initdb/pg_ctl), each on free ports in one temporary directory. Everything is stopped and deleted by `destroy`,
 * which the run calls on every exit path.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const CLUSTER = join(ROOT, 'deploy/local/kafka/cluster.sh');

export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not open 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The kernel's range for outgoing connections' local ports ([32768, 60999] on Linux by default). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux: assume the IANA dynamic range
  }
  return [49152, 65535];
}

/**
 * A base port with base..base+2 and base+100..base+102 free (the cluster's brokers and controllers), below the
 * kernel's ephemeral range: a port in that range can be taken between this check and the node's bind by any outgoing
 * connection, the nodes' own connections to each other included (a node then exits at start-up: "Address already in
 * use").
 */
async function freeClusterBase(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const high = Math.min(ephemeralLow, 65_535) - 103;
  const low = Math.min(20_000, high - 2_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const ports = [0, 1, 2, 100, 101, 102].map((d) => base + d);
    const taken = await Promise.all(ports.map(portOpen));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error('no free port range for the Kafka cluster');
}

function pgBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export class PrivateInfra {
  readonly dir = mkdtempSync(join(tmpdir(), 'telltale-chaos-'));
  kafkaBase = 0;
  redisPort = 0;
  mqttPort = 0;
  pgPort = 0;
  private redis: ChildProcess | undefined;
  private mosquitto: ChildProcess | undefined;
  private readonly pgDir = join(this.dir, 'postgres');
  private readonly asPostgres = process.getuid?.() === 0;

  get kafkaBrokers(): string {
    return [0, 1, 2].map((i) => `127.0.0.1:${this.kafkaBase + i}`).join(',');
  }
  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.pgPort}/postgres`;
  }
  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  async start(log: (line: string) => void): Promise<void> {
    chmodSync(this.dir, 0o755); // the postgres user must reach its data directory inside
    [this.redisPort, this.mqttPort, this.pgPort] = [await freePort(), await freePort(), await freePort()];
    this.kafkaBase = await freeClusterBase();
    log(`private infrastructure in ${this.dir}`);
    await Promise.all([this.startKafka(log), this.startRedis(), this.startMosquitto(), this.startPostgres()]);
    log(
      `Kafka ${this.kafkaBrokers} (3 nodes, RF 3, min ISR 2), Redis :${this.redisPort}, ` +
        `Mosquitto :${this.mqttPort} (persistence), PostgreSQL :${this.pgPort}`,
    );
  }

  // --- Kafka -------------------------------------------------------------------------------------------------------
  private cluster(...args: string[]): Promise<void> {
    return run('bash', [CLUSTER, ...args], {
      env: { ...process.env, KAFKA_CLUSTER_PORT: String(this.kafkaBase), KAFKA_CLUSTER_DIR: join(this.dir, 'kafka') },
      timeout: 240_000,
    }).then(() => undefined);
  }
  /**
   * Starts the cluster; when a node fails to start (its log's errors are in the message), stops what started, deletes
   * the cluster's directory and tries again on other ports, up to three times in all.
   */
  async startKafka(log: (line: string) => void = () => undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.cluster('start');
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        const reason = stderr.split('\n').filter((line) => /ERROR|FATAL|Exception|exited|did not/.test(line));
        log(`Kafka cluster on ${this.kafkaBrokers} failed to start (attempt ${attempt}): ${reason.join(' | ')}`);
        await this.cluster('stop').catch(() => undefined);
        rmSync(join(this.dir, 'kafka'), { recursive: true, force: true });
        this.kafkaBase = await freeClusterBase();
      }
    }
  }
  killBroker(node: number): Promise<void> {
    return this.cluster('kill', String(node));
  }
  restartBroker(node: number): Promise<void> {
    return this.cluster('restart', String(node));
  }

  // --- Redis (append-only file, so a restart keeps the dedupe keys) -------------------------------------------------
  async startRedis(): Promise<void> {
    const dir = join(this.dir, 'redis');
    mkdirSync(dir, { recursive: true });
    this.redis = spawn(
      'redis-server',
      ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    );
    await waitPort(this.redisPort, 20_000, 'redis-server');
  }
  async restartRedis(): Promise<void> {
    await stopChild(this.redis, 'SIGTERM');
    await this.startRedis();
  }

  // --- Mosquitto (persistence: what it acknowledged survives a restart) --------------------------------------------
  async startMosquitto(): Promise<void> {
    const dir = join(this.dir, 'mosquitto');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.mqttPort} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 1',
        'max_queued_messages 1000000',
        'max_inflight_messages 0',
        'log_dest none',
        ...(this.asPostgres ? ['user root'] : []),
        '',
      ].join('\n'),
    );
    this.mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitPort(this.mqttPort, 20_000, 'mosquitto');
  }
  /** A graceful restart: Mosquitto writes its persistence file on SIGTERM and reads it back at start. */
  async restartMosquitto(): Promise<void> {
    await stopChild(this.mosquitto, 'SIGTERM');
    await this.startMosquitto();
  }

  // --- PostgreSQL ---------------------------------------------------------------------------------------------------
  private async pg(tool: string, args: string[]): Promise<void> {
    const bin = join(pgBin(), tool);
    const [file, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    await run(file, argv, { timeout: 120_000 });
  }
  async startPostgres(): Promise<void> {
    if (!existsSync(join(this.pgDir, 'PG_VERSION'))) {
      mkdirSync(this.pgDir, { recursive: true });
      if (this.asPostgres) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(this.pgDir, Number(stdout.trim()), Number(gid.trim()));
      }
      await this.pg('initdb', ['-D', this.pgDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    }
    await this.pg('pg_ctl', [
      '-D',
      this.pgDir,
      '-l',
      join(this.pgDir, 'server.log'),
      '-w',
      '-o',
      `-p ${this.pgPort} -c listen_addresses=127.0.0.1 -k ${this.pgDir} -c max_connections=300 -c shared_buffers=64MB`,
      'start',
    ]);
  }
  /** An immediate-mode restart: PostgreSQL stops without a checkpoint and recovers from its WAL, like after a crash. */
  async restartPostgres(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.pgDir, '-m', 'immediate', '-w', 'stop']);
    await this.startPostgres();
  }

  async destroy(): Promise<void> {
    await this.cluster('stop').catch(() => undefined);
    await this.pg('pg_ctl', ['-D', this.pgDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    await stopChild(this.redis, 'SIGTERM');
    await stopChild(this.mosquitto, 'SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Signals a child and resolves once it exited (SIGKILL after 10 s). */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
