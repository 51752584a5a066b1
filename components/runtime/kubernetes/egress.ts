// The facilitator's egress peers: the cluster's DNS, and the RPC endpoint's CIDRs without the
// cluster-internal, link-local and metadata-server ranges of either address family.
import type * as k8s from "@pulumi/kubernetes";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/**
 * Ranges never reached through a wider RPC CIDR, IPv4 then IPv6. Each is excepted from every
 * configured CIDR of its family that strictly contains it (a CIDR inside one of them, such as an
 * RPC node at 10.1.2.3/32, was named on purpose and stays as written).
 */
export const RESERVED_RANGES: Readonly<Record<Family, readonly string[]>> = {
  ipv4: [
    "10.0.0.0/8", // RFC 1918: nodes, Pods, Services, the VPC
    "172.16.0.0/12", // RFC 1918
    "192.168.0.0/16", // RFC 1918
    "169.254.0.0/16", // link-local: the metadata server 169.254.169.254, NodeLocal DNSCache
    "100.64.0.0/10", // RFC 6598 shared space, used by GKE for Pod and Service ranges too
  ],
  ipv6: [
    // Unique local (RFC 4193), the IPv6 counterpart of RFC 1918. It holds Compute Engine's IPv6
    // metadata server fd20:ce::254 (https://cloud.google.com/compute/docs/metadata/querying-metadata)
    // and every VPC internal IPv6 range, which Google allocates from fd20::/20
    // (https://cloud.google.com/blog/products/networking/how-to-create-a-ipv6-network-in-google-cloud).
    // A dual-stack cluster on *external* IPv6 (2600:1900::/28) has public Pod addresses, as a
    // cluster on privately used public IPv4 has: list the RPC's CIDRs instead of a catch-all there.
    "fc00::/7",
    "fe80::/10", // link-local (RFC 4291), the counterpart of 169.254.0.0/16
  ],
};

/** The catch-alls: "anywhere" means the public internet of both families. */
const ANYWHERE: Readonly<Record<Family, string>> = { ipv4: "0.0.0.0/0", ipv6: "::/0" };

type Family = "ipv4" | "ipv6";
interface Cidr {
  family: Family;
  /** The network address as a number (host bits cleared). */
  network: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parses `address/prefix` (IPv4 or IPv6); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [address, prefixText, ...rest] = text.split("/");
  const family: Family = address!.includes(":") ? "ipv6" : "ipv4";
  const value = family === "ipv4" ? parseIpv4(address!) : parseIpv6(address!);
  const prefix = Number(prefixText);
  if (rest.length > 0 || value === undefined || !/^\d{1,3}$/.test(prefixText ?? "") || prefix > BITS[family]) {
    throw new Error(`'${text}' is not a CIDR (an IPv4 or IPv6 address, '/', a prefix length)`);
  }
  const hostBits = BigInt(BITS[family] - prefix);
  return { family, network: (value >> hostBits) << hostBits, prefix };
}

/** `inner` lies inside `outer` and is smaller than it. */
function strictlyInside(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix <= outer.prefix) return false;
  const hostBits = BigInt(BITS[outer.family] - outer.prefix);
  return inner.network >> hostBits === outer.network >> hostBits;
}

/**
 * Egress peers for the RPC. A catch-all (0.0.0.0/0 or ::/0) stands for the public internet of
 * both families; every CIDR wider than a reserved range of its family gets that range as an
 * exception, so neither family reaches cluster-internal or metadata-server addresses.
 */
export function rpcEgressPeers(cidrs: readonly string[]): Peer[] {
  const wanted = new Set<string>();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr.prefix === 0) {
      wanted.add(ANYWHERE.ipv4).add(ANYWHERE.ipv6);
    } else {
      wanted.add(text);
    }
  }
  return [...wanted].sort().map((text) => {
    const cidr = parseCidr(text);
    const except = RESERVED_RANGES[cidr.family].filter((range) => strictlyInside(parseCidr(range), cidr));
    return { ipBlock: except.length > 0 ? { cidr: text, except } : { cidr: text } };
  });
}

/**
 * Where the pods' DNS queries go on GKE, each reachable on port 53 only (UDP and TCP):
 * - kube-dns (Standard's default provider): the kube-dns Pods in kube-system, label
 *   k8s-app=kube-dns. GKE translates a Service's virtual IP to its backend Pods before it
 *   evaluates network policy, so the Pods are the peer, not the Service IP
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies, limitations;
 *   https://cloud.google.com/kubernetes-engine/docs/concepts/kube-dns).
 * - NodeLocal DNSCache (Autopilot always, Standard's default from 1.33.1): a cache on every node,
 *   host-networked, listening on the link-local 169.254.20.10 (and the kube-dns Service IP).
 *   A host-networked Pod matches no pod selector, so only an ipBlock admits it
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/nodelocal-dns-cache;
 *   https://github.com/kubernetes/kubernetes/blob/master/cluster/addons/dns/nodelocaldns/README.md).
 *   Where the dataplane redirects the kube-dns Service to the node's cache Pod instead (an eBPF
 *   local redirect), the peer is that Pod, label k8s-app=node-local-dns (cilium/cilium-cli#995).
 * - Cloud DNS for GKE (Autopilot's provider, Standard's option): each Pod's nameserver is the
 *   node's metadata server, 169.254.169.254 (https://cloud.google.com/dns/docs/vpc-name-res-order;
 *   https://cloud.google.com/kubernetes-engine/docs/concepts/about-cloud-dns). Port 53 only:
 *   the metadata HTTP API (port 80) stays unreachable.
 */
export const DNS_EGRESS_PEERS: readonly Peer[] = [
  {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
  },
  {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
    podSelector: { matchLabels: { "k8s-app": "node-local-dns" } },
  },
  { ipBlock: { cidr: "169.254.20.10/32" } },
  { ipBlock: { cidr: "169.254.169.254/32" } },
];

export const DNS_PORTS = [
  { port: 53, protocol: "UDP" },
  { port: 53, protocol: "TCP" },
] as const;
