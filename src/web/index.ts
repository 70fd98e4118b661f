/** @module web layer (see SPEC). */
export {};
