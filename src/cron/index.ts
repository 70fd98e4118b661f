/** @module cron layer (see SPEC). */
export {};
