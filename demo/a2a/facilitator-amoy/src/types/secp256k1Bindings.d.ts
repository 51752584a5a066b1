// The native binding of `secp256k1` (same API as the package's index, which @types/secp256k1 describes).
// Imported directly so that a missing binding is noticed instead of silently replaced by pure JS.
declare module "secp256k1/bindings.js" {
  import secp256k1 from "secp256k1";
  export default secp256k1;
}
