/** @module scheduler layer (see SPEC). */
export {};
