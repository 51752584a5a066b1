// The facilitator image of a stack, from Artifact Registry (image.ts, imagePlan.ts) or from a
// registry next to the engine (localImage.ts, localImagePlan.ts): resolved by digest, or built
// from a clean checkout and pushed, or a failure that names the fix.
export { FacilitatorImage, lookupImage } from "./image";
export type { FacilitatorImageArgs, ImageAction, ImageLookupArgs } from "./image";
export { artifactRegistryHost } from "./imagePlan";
export { LocalFacilitatorImage, lookupLocalImage } from "./localImage";
export type { LocalFacilitatorImageArgs, LocalImageAction, LocalImageLookupArgs } from "./localImage";
