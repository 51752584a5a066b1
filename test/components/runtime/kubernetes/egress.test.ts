// The facilitator's NetworkPolicy egress (components/runtime/kubernetes/egress.ts): DNS to the cluster's resolvers
// only, and the RPC in both address families without cluster-internal or metadata ranges.
// Unit checks of the peers, then the policy each committed stack renders under mocks.
//
// Sources for the DNS peers (what a GKE Pod's resolver is):
// - kube-dns: the kube-dns Pods (kube-system, k8s-app=kube-dns); GKE evaluates network policy
//   after translating a Service IP to its Pods:
//   https://cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies
// - NodeLocal DNSCache: a host-networked cache on 169.254.20.10 per node, which a pod selector
//   cannot match: https://cloud.google.com/kubernetes-engine/docs/how-to/nodelocal-dns-cache and
//   https://github.com/kubernetes/kubernetes/blob/master/cluster/addons/dns/nodelocaldns/README.md;
//   redirected to the cache Pod (k8s-app=node-local-dns) by eBPF dataplanes: cilium/cilium-cli#995
// - Cloud DNS for GKE: the node's metadata server 169.254.169.254 on port 53:
//   https://cloud.google.com/dns/docs/vpc-name-res-order
// IPv6: the GCE metadata server fd20:ce::254
// (https://cloud.google.com/compute/docs/metadata/querying-metadata) and VPC internal ranges
// (fd20::/20, https://cloud.google.com/blog/products/networking/how-to-create-a-ipv6-network-in-google-cloud)
// are unique-local addresses, fc00::/7 (RFC 4193); link-local is fe80::/10 (RFC 4291).
import { beforeAll, describe, expect, it } from "vitest";
import {
  DNS_EGRESS_PEERS,
  RESERVED_RANGES,
  parseCidr,
  rpcEgressPeers,
} from "../../../../components/runtime/kubernetes/egress";
import type { RecordedResource } from "../../../support/mocks";
import { releasedImages, runStack } from "../../../support/stack";

/** The peers as plain data (the component's inputs are plain values, typed as Pulumi inputs). */
const plain = (peers: readonly unknown[]): Peer[] => peers as Peer[];

type Obj = Record<string, unknown>;
interface IpBlock {
  cidr: string;
  except?: string[];
}
interface Peer {
  ipBlock?: IpBlock;
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
}
interface EgressRule {
  to?: Peer[];
  ports?: { port: number; protocol: string }[];
}

/** `address` (no prefix) lies in `cidr`. */
function contains(cidr: string, address: string): boolean {
  const outer = parseCidr(cidr);
  const inner = parseCidr(`${address}/${address.includes(":") ? 128 : 32}`);
  if (outer.family !== inner.family) return false;
  const host = BigInt((outer.family === "ipv4" ? 32 : 128) - outer.prefix);
  return inner.network >> host === outer.network >> host;
}

/** What the ipBlocks of `peers` let through to `address`. */
const admits = (peers: readonly Peer[], address: string): boolean =>
  peers.some(
    (p) =>
      p.ipBlock !== undefined &&
      contains(p.ipBlock.cidr, address) &&
      !(p.ipBlock.except ?? []).some((e) => contains(e, address)),
  );

const KUBE_SYSTEM = { "kubernetes.io/metadata.name": "kube-system" };
/** Addresses no wide RPC CIDR may reach: metadata servers, cluster-internal and link-local. */
const NEVER = [
  "169.254.169.254",
  "fd20:ce::254",
  "10.0.0.10",
  "172.16.0.1",
  "192.168.1.1",
  "100.64.0.1",
  "169.254.20.10",
  "fd20:a:b:c::1",
  "fe80::1",
  "fc00::1",
];
/** Public addresses an RPC endpoint may have. */
const PUBLIC = ["104.18.1.1", "8.8.8.8", "2606:4700::6810:101", "2001:4860:4860::8888"];

describe("rpcEgressPeers", () => {
  it("'anywhere' is the public internet of both families, each without its reserved ranges", () => {
    for (const anywhere of [["0.0.0.0/0"], ["::/0"], ["::/0", "0.0.0.0/0"]]) {
      expect(rpcEgressPeers(anywhere)).toEqual([
        {
          ipBlock: {
            cidr: "0.0.0.0/0",
            except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
          },
        },
        { ipBlock: { cidr: "::/0", except: ["fc00::/7", "fe80::/10"] } },
      ]);
      const peers = plain(rpcEgressPeers(anywhere));
      for (const address of NEVER)
        expect({ address, admitted: admits(peers, address) }).toEqual({ address, admitted: false });
      for (const address of PUBLIC)
        expect({ address, admitted: admits(peers, address) }).toEqual({ address, admitted: true });
    }
  });

  it("today's ::/0 (accepted by the config) had no exceptions: the IPv6 metadata server and ULA were reachable", () => {
    const before: Peer[] = [{ ipBlock: { cidr: "::/0" } }]; // what the old code rendered for ::/0
    expect(admits(before, "fd20:ce::254")).toBe(true);
    expect(admits(plain(rpcEgressPeers(["::/0"])), "fd20:ce::254")).toBe(false);
  });

  it("a wide CIDR short of a catch-all gets the reserved ranges it contains (0.0.0.0/1 + 128.0.0.0/1 is no way around)", () => {
    expect(rpcEgressPeers(["128.0.0.0/1", "0.0.0.0/1", "2000::/3"])).toEqual([
      { ipBlock: { cidr: "0.0.0.0/1", except: ["10.0.0.0/8", "100.64.0.0/10"] } },
      { ipBlock: { cidr: "128.0.0.0/1", except: ["172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] } },
      { ipBlock: { cidr: "2000::/3" } }, // global unicast holds no reserved range
    ]);
    expect(admits(plain(rpcEgressPeers(["128.0.0.0/1", "0.0.0.0/1"])), "169.254.169.254")).toBe(false);
    expect(rpcEgressPeers(["fc00::/6"])).toEqual([
      { ipBlock: { cidr: "fc00::/6", except: ["fc00::/7", "fe80::/10"] } },
    ]); // fc00:: to ffff::
  });

  it("narrow CIDRs stay as written, a private one included (an RPC node in the VPC is named on purpose)", () => {
    expect(rpcEgressPeers(["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48", "10.1.2.3/32"])).toEqual([
      { ipBlock: { cidr: "10.1.2.3/32" } },
      { ipBlock: { cidr: "198.51.100.7/32" } },
      { ipBlock: { cidr: "2001:db8:1::/48" } },
      { ipBlock: { cidr: "203.0.113.0/24" } },
    ]);
  });

  it("every exception lies strictly inside its CIDR (the API server rejects any other)", () => {
    for (const set of [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["::/0"], ["fc00::/6"], ["160.0.0.0/3"]]) {
      for (const { ipBlock } of plain(rpcEgressPeers(set))) {
        const outer = parseCidr(ipBlock!.cidr);
        for (const e of ipBlock!.except ?? []) {
          const inner = parseCidr(e);
          expect(inner.family).toBe(outer.family);
          expect(inner.prefix).toBeGreaterThan(outer.prefix);
          expect(contains(ipBlock!.cidr, e.split("/")[0]!)).toBe(true);
        }
      }
    }
  });

  it("parses both families, IPv6 shorthand included, and refuses what is not a CIDR", () => {
    expect(parseCidr("fd20:ce::254/128")).toEqual(parseCidr("fd20:00ce:0:0:0:0:0:0254/128"));
    expect(parseCidr("::/0")).toEqual({ family: "ipv6", network: 0n, prefix: 0 });
    expect(parseCidr("10.1.2.3/8")).toEqual({ family: "ipv4", network: 10n << 24n, prefix: 8 });
    for (const bad of [
      "10.0.0.0",
      "10.0.0.256/8",
      "10.0.0.0/33",
      "::/129",
      "1::2::3/64",
      "1:2:3:4:5:6:7:8:9/64",
      "g::/16",
      "10.0.0.0/8/1",
    ]) {
      expect(() => parseCidr(bad), bad).toThrow(/is not a CIDR/);
    }
    expect(() => rpcEgressPeers(["not-a-cidr/8"])).toThrow(/is not a CIDR/);
  });

  it("the reserved ranges are themselves canonical CIDRs", () => {
    for (const range of [...RESERVED_RANGES.ipv4, ...RESERVED_RANGES.ipv6]) {
      const { network, prefix, family } = parseCidr(range);
      const [address] = range.split("/");
      expect(parseCidr(`${address}/${family === "ipv4" ? 32 : 128}`).network, range).toBe(network);
      expect(prefix).toBeGreaterThan(0);
    }
  });
});

describe("DNS egress peers", () => {
  it("exactly the cluster's resolvers: kube-dns and NodeLocal DNSCache Pods, the cache's and Cloud DNS's link-local addresses", () => {
    expect(DNS_EGRESS_PEERS).toEqual([
      { namespaceSelector: { matchLabels: KUBE_SYSTEM }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
      {
        namespaceSelector: { matchLabels: KUBE_SYSTEM },
        podSelector: { matchLabels: { "k8s-app": "node-local-dns" } },
      },
      { ipBlock: { cidr: "169.254.20.10/32" } },
      { ipBlock: { cidr: "169.254.169.254/32" } },
    ]);
  });

  it("no resolver an attacker could run: no public address, no pods outside kube-system", () => {
    const peers = plain(DNS_EGRESS_PEERS);
    for (const address of [...PUBLIC, "1.1.1.1", "10.0.0.10"])
      expect({ address, admitted: admits(peers, address) }).toEqual({ address, admitted: false });
    for (const p of peers) {
      if (p.ipBlock) expect(p.ipBlock.cidr).toMatch(/\/32$/);
      else expect(p.namespaceSelector?.matchLabels).toEqual(KUBE_SYSTEM);
    }
  });
});

describe.each(["staging", "prod"] as const)("the NetworkPolicy Pulumi.%s.yaml renders", (stack) => {
  let egress: EgressRule[];
  beforeAll(async () => {
    const run = await runStack({ stack, registry: releasedImages(["v1.2.2", "v1.2.3"]) });
    const app = run.one("facilitator:index:FacilitatorDeployment").urn;
    const policy = run
      .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .find((p: RecordedResource) => p.parent === app)!;
    expect((policy.inputs["spec"] as Obj)["policyTypes"]).toEqual(["Ingress", "Egress"]);
    egress = (policy.inputs["spec"] as { egress: EgressRule[] }).egress;
  });

  it("two egress rules, each with destinations: DNS to the cluster's resolvers, the RPC on 443", () => {
    expect(egress).toEqual([
      {
        to: DNS_EGRESS_PEERS,
        ports: [
          { port: 53, protocol: "UDP" },
          { port: 53, protocol: "TCP" },
        ],
      },
      { to: rpcEgressPeers(["0.0.0.0/0"]), ports: [{ port: 443, protocol: "TCP" }] },
    ]);
    // A rule without `to` admits every destination: DNS on port 53 to anywhere was one.
    for (const rule of egress) expect(rule.to?.length ?? 0).toBeGreaterThan(0);
  });

  it("port 53 reaches no public resolver and no other address but the link-local resolvers", () => {
    const dns = egress.filter((r) => r.ports?.some((p) => p.port === 53));
    expect(dns).toHaveLength(1);
    for (const address of [...PUBLIC, "1.1.1.1", "169.254.169.253", "fd20:ce::254"]) {
      expect({ address, admitted: admits(dns[0]!.to!, address) }).toEqual({ address, admitted: false });
    }
    expect(admits(dns[0]!.to!, "169.254.169.254")).toBe(true);
    expect(admits(dns[0]!.to!, "169.254.20.10")).toBe(true);
  });

  it("the RPC rule covers both families and keeps every metadata, cluster-internal and link-local address out", () => {
    const rpc = egress.find((r) => r.ports?.some((p) => p.port === 443))!;
    expect(rpc.to!.map((p) => p.ipBlock?.cidr)).toEqual(["0.0.0.0/0", "::/0"]);
    for (const address of NEVER)
      expect({ address, admitted: admits(rpc.to!, address) }).toEqual({ address, admitted: false });
    for (const address of PUBLIC)
      expect({ address, admitted: admits(rpc.to!, address) }).toEqual({ address, admitted: true });
  });
});
