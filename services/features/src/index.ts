/** @telltale/features: the features service (event-time feature windows, online store, fault-model inference). */
export {};
