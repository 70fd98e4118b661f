/** @module config layer (see SPEC). */
export {};
