/**
 * A list of strings as one string and the lengths of its parts: for another thread, a million
 * short strings cost the sending thread ~0.5 s to clone one by one, one long string is copied at
 * once (and its lengths transferred).
 */
export interface PackedStrings {
  text: string;
  lengths: Int32Array<ArrayBuffer>;
}

export function packStrings(list: readonly string[]): PackedStrings {
  const lengths = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) lengths[i] = list[i]!.length;
  return { text: list.join(''), lengths };
}

export function unpackStrings({ text, lengths }: PackedStrings): string[] {
  const list = new Array<string>(lengths.length);
  for (let i = 0, at = 0; i < lengths.length; at += lengths[i]!, i++)
    list[i] = text.slice(at, at + lengths[i]!);
  return list;
}
