/** @module cluster layer (see SPEC). */
export {};
