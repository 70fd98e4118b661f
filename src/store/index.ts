/** @module store layer (see SPEC). */
export {};
