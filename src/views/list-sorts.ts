// A sort order a list pane offers: the keys `sort.next` cycles through, in order, with the label the pane title shows.
export interface SortOption {
  readonly key: string;
  readonly label: string;
  /** The label where the title is drawn in ASCII, when `label` has a glyph that would read as something else there. */
  readonly asciiLabel?: string;
  /** Descending first (largest loss, newest) unless false. */
  readonly desc: boolean;
}
