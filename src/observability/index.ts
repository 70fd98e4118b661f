/** @module observability layer (see SPEC). */
export {};
