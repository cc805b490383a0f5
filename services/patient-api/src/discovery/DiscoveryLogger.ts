/** The part of a pino logger discovery uses: constant messages, data in fields. */
export interface DiscoveryLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export const silentLogger: DiscoveryLogger = {
  info() {},
  warn() {},
};
