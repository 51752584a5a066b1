// The facilitator's test harness, also imported by the repository's image and compose tests.
export * from "./accounts.js";
export * from "./anvil.js";
export * from "./chain.js";
export * from "./facilitator.js";
export * from "./payments.js";
export * from "./token.js";
export * from "./rpcProxy.js";
