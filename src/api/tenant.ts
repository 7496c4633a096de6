/**
 * Kept for routes written before the read service (merged from other branches): new code reads
 * through `readsOf(deps)` (src/application/queries/read-service.ts). The boundary test names any
 * route that still reaches a model.
 */
export { findOwned, isOwned } from '../application/queries/paging';
