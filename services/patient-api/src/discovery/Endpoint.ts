/** One backend address: an IPv4/IPv6 literal (or a host name) and a TCP port. */
export interface Endpoint {
  host: string;
  port: number;
}
