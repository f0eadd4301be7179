/**
 * The monitoring deployment, checked statically (no Docker daemon here, so `docker compose config`
 * cannot run): docker-compose.yml parses and its `monitoring` profile runs Prometheus and Grafana
 * on the host's loopback with files that exist; Prometheus scrapes the compose validator's health
 * port and the backend's --metrics-port; Grafana's datasource and dashboard provider point at what
 * is mounted; and every metric the dashboard queries is one faregate exposes (names taken from the
 * real registries), in PromQL that parses (the Prometheus project's own grammar,
 * @prometheus-io/lezer-promql), in panels that fit Grafana's 24-column grid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BackendMetrics } from '../../src/backend/backendMetrics.ts';
import { ValidatorMetrics } from '../../src/metrics/validatorMetrics.ts';
import { REPO_ROOT } from '../support/cli.ts';

interface Service {
  image?: string;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
}
const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const COMPOSE = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const S = COMPOSE.services;
const PROM = parse(read('docs/deploy/prometheus/prometheus.yml')) as {
  scrape_configs: {
    job_name: string;
    metrics_path: string;
    static_configs: { targets: string[] }[];
    file_sd_configs?: { files: string[] }[];
  }[];
};
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}
const DASH = JSON.parse(read('docs/deploy/grafana/faregate-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; current?: { value: string } }[] };
};

/** `host-path:container-path[:ro]` bind mounts of a service (named volumes left out). */
const binds = (s: Service) =>
  (s.volumes ?? [])
    .filter((v) => v.startsWith('./'))
    .map((v) => {
      const [src, dst] = v.split(':');
      return { src: src!, dst: dst! };
    });

describe('the monitoring deployment', () => {
  it('runs Prometheus and Grafana only in the monitoring profile, on loopback, with files that exist', () => {
    for (const name of ['prometheus', 'grafana']) {
      const s = S[name]!;
      expect(s.profiles, name).toEqual(['monitoring']);
      expect(s.image, name).toMatch(/^(prom\/prometheus|grafana\/grafana-oss):v?\d+\.\d+\.\d+$/);
      for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:/);
      expect(binds(s).length, name).toBeGreaterThan(0);
      for (const b of binds(s)) {
        expect(existsSync(join(REPO_ROOT, b.src)), b.src).toBe(true);
        expect(b.dst).toBeDefined();
      }
    }
    // The rest of the demo starts without the profile, as before.
    for (const name of ['mosquitto', 'backend', 'validator', 'simulator']) expect(S[name]!.profiles).toBeUndefined();
  });

  it('scrapes the validator on its health port and the backend on its --metrics-port', () => {
    const v = S.validator!.environment!;
    expect(v.FAREGATE_HEALTH__HOST).toBe('0.0.0.0');
    const backendPort = S.backend!.command!.find((c) => c.startsWith('--metrics-port='))!.split('=')[1];
    expect(S.backend!.command).toContain('--metrics-host=0.0.0.0');
    const job = (n: string) => PROM.scrape_configs.find((j) => j.job_name === n)!;
    expect(job('faregate-validator').metrics_path).toBe('/metrics');
    expect(job('faregate-validator').static_configs[0]!.targets).toEqual([`validator:${v.FAREGATE_HEALTH__HTTP_PORT}`]);
    expect(job('faregate-backend').static_configs[0]!.targets).toEqual([`backend:${backendPort}`]);
    // The file_sd list of a fleet's gates is mounted where the configuration reads it.
    const mounted = binds(S.prometheus!).map((b) => b.dst);
    for (const f of job('faregate-validator').file_sd_configs!.flatMap((c) => c.files)) expect(mounted).toContain(f);
    expect(mounted).toContain('/etc/prometheus/prometheus.yml');
  });

  it("gives Grafana the Prometheus datasource the dashboard names and a provider for the dashboard's folder", () => {
    const ds = parse(read('docs/deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const prov = parse(read('docs/deploy/grafana/provisioning/dashboards/faregate.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(ds.datasources[0]!.url).toBe('http://prometheus:9090');
    expect(DASH.templating.list.find((t) => t.name === 'datasource')!.current!.value).toBe(ds.datasources[0]!.uid);
    const dash = binds(S.grafana!).find((b) => b.src === './docs/deploy/grafana/faregate-dashboard.json')!;
    expect(dirname(dash.dst)).toBe(prov.providers[0]!.options.path);
  });

  it('queries only metrics faregate exposes, in PromQL that parses, in panels that fit the grid', () => {
    const never = () => {
      throw new Error('not scraped here');
    };
    const v = new ValidatorMetrics({ status: never, scanner: never, version: () => '0' });
    const b = new BackendMetrics(
      {
        get counters(): never {
          return never();
        },
        connected: false,
        on: () => undefined,
      },
      '0',
    );
    const exposed = new Set([...v.registry.getMetricsAsArray(), ...b.registry.getMetricsAsArray()].map((m) => m.name));
    exposed.add(v.decisionSeconds.name).add(b.insertSeconds.name);

    const ids = new Set<number>();
    const used = new Set<string>();
    for (const p of DASH.panels) {
      expect(ids.has(p.id), `panel id ${p.id}`).toBe(false);
      ids.add(p.id);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        // Grafana's interval variables stand for a duration; `$instance` sits inside a label string.
        const tree = promql.parse(t.expr.replaceAll('$__rate_interval', '5m'));
        const errors: number[] = [];
        tree.iterate({ enter: (n) => void (n.type.isError && errors.push(n.from)) });
        expect(errors, `${p.title}: ${t.expr}`).toEqual([]);
        for (const [name] of t.expr.matchAll(/faregate_[a-z_]+/g)) used.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    for (const name of used) expect(exposed, name).toContain(name);
    // What the issue asks the dashboard to show.
    for (const name of [
      'faregate_decisions_total',
      'faregate_decision_duration_seconds',
      'faregate_backlog_unsettled_taps',
      'faregate_backlog_oldest_unsettled_age_seconds',
      'faregate_list_age_seconds',
      'faregate_upload_acks_refused_total',
    ])
      expect(used, name).toContain(name);
  });
});
