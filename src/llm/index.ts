/** @module llm layer (see SPEC). */
export {};
