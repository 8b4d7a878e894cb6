/** Cursors are the base64url of the last item id: stable under inserts, opaque to clients. */
export function encodeCursor(itemId: string): string {
  return Buffer.from(itemId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
