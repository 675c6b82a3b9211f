/** A key's metadata, with JavaScript types. */
export interface KeyInfo {
  readonly key: string;
  readonly namespace: string;
  readonly size: number;
  readonly codec: string;
  readonly kind: string;
  readonly model: string;
  readonly contentType: string;
  readonly createdAt: Date | undefined;
  readonly updatedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  readonly revision: bigint;
}
