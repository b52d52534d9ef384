// Paths a watch never reacts to: pipe's own state, dependency and VCS directories, and the
// files editors write beside the one being saved.

/** Directory names skipped wherever they appear. `.pipe/` above all: watching our own state loops (nx#18703). */
export const IGNORED_DIRS: ReadonlySet<string> = new Set(['.pipe', 'node_modules', '.git', '.hg', '.svn']);

/**
 * Editor temp and backup files: vim's `4913` write probe, `~` backups and `.swp`/`.swx`
 * swap files; JetBrains safe-write (`___jb_tmp___`, `___jb_old___`); emacs lock and
 * autosave files; `sed -i` temp files (`sedXXXXXX`); macOS `.DS_Store`.
 */
export function isEditorTemp(name: string): boolean {
  return (
    name === '4913' ||
    name.endsWith('~') ||
    /\.sw[a-px]$/.test(name) ||
    name.endsWith('___jb_tmp___') ||
    name.endsWith('___jb_old___') ||
    name.startsWith('.#') ||
    (name.startsWith('#') && name.endsWith('#')) ||
    /^sed[A-Za-z0-9]{6}$/.test(name) ||
    name === '.DS_Store'
  );
}

/** True for a project-relative path inside an ignored directory or naming an editor temp file. */
export function isIgnoredPath(rel: string): boolean {
  const parts = rel.split('/');
  const name = parts[parts.length - 1] ?? '';
  return parts.some((p) => IGNORED_DIRS.has(p)) || isEditorTemp(name);
}
