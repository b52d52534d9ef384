// Kept in step with package.json by a test; the daemon protocol compares it.
export const VERSION = '0.1.0';
