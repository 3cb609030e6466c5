/**
 * Previous and next page of a list read with page tokens. `pages` holds the token of every page opened so far
 * (the first is ""), the last one being the page shown; `nextPageToken` is what that page's answer gave.
 */
export function Pager(props: {
  pages: string[];
  onPages: (pages: string[]) => void;
  nextPageToken: string | undefined;
}) {
  const { pages, onPages, nextPageToken } = props;
  return (
    <div className="pager">
      <button type="button" disabled={pages.length <= 1} onClick={() => onPages(pages.slice(0, -1))}>
        Previous page
      </button>
      <button
        type="button"
        disabled={!nextPageToken}
        onClick={() => nextPageToken && onPages([...pages, nextPageToken])}
      >
        Next page
      </button>
    </div>
  );
}
