/** Distinct strings with 1-based indexes (PostgreSQL arrays start at 1). */
export class Indexer {
  readonly values: string[] = [];
  private readonly map = new Map<string, number>();
  index(value: string): number {
    let i = this.map.get(value);
    if (i === undefined) {
      this.values.push(value);
      i = this.values.length;
      this.map.set(value, i);
    }
    return i;
  }
}
