import { falEndpointIds, falImageQualities, falImageSizes, falQuote } from "../pricing/fal.js";
import { imagePrice, imageQualities, imageSizes } from "../pricing/media.js";
import { minimaxModels } from "../pricing/minimax.js";

/** One image price: a provider, its endpoint or model, a quality and a size, USD per image. */
export interface ImagePriceRow {
  provider: "openai" | "fal";
  endpoint: string;
  quality: string;
  size: string;
  usd: number;
}

/**
 * The per-image prices of an image model wherever spendguard can price it (OpenAI's table and fal's endpoint of
 * the same name), and the cheapest provider for each quality: APIBouncer's "smart routing" as data.
 */
export function imagePriceComparison(
  model: string,
): { rows: ImagePriceRow[]; cheapest: Record<string, ImagePriceRow[]> } | undefined {
  const rows: ImagePriceRow[] = [];
  for (const quality of imageQualities(model) ?? []) {
    for (const size of imageSizes(model) ?? []) {
      const quote = imagePrice(model, { quality, size });
      if (quote)
        rows.push({ provider: "openai", endpoint: quote.model, quality, size, usd: quote.perImage / 1e9 });
    }
  }
  const name = model.toLowerCase().replace(/^fal-ai\//, "");
  for (const endpoint of falEndpointIds().filter((id) => id === model || id === `fal-ai/${name}`)) {
    const qualities = falImageQualities(endpoint) ?? [];
    for (const quality of qualities.length > 0 ? qualities : [""]) {
      for (const size of falImageSizes(endpoint) ?? [""]) {
        const input = { ...(quality && { quality }), ...(size && { image_size: size }), num_images: 1 };
        const quote = falQuote(endpoint, input);
        if (quote) {
          rows.push({
            provider: "fal",
            endpoint,
            quality: quality || "-",
            size: size || "-",
            usd: quote.amount / 1e9,
          });
        }
      }
    }
  }
  if (rows.length === 0) return undefined;
  // Per quality, every row at the lowest price (a tie lists each provider).
  const cheapest: Record<string, ImagePriceRow[]> = {};
  for (const row of rows) {
    const known = cheapest[row.quality];
    if (!known || row.usd < (known[0]?.usd ?? Number.POSITIVE_INFINITY)) cheapest[row.quality] = [row];
    else if (row.usd === known[0]?.usd && !known.some((entry) => entry.provider === row.provider))
      known.push(row);
  }
  return { rows, cheapest };
}

/** The media models spendguard's own tables price (token models come from @pydantic/genai-prices). */
export function mediaModels(): {
  openaiImages: string[];
  falEndpoints: string[];
  minimax: { video: string[]; speech: string[] };
} {
  const openaiImages = [
    "gpt-image-1",
    "gpt-image-1-mini",
    "gpt-image-1.5",
    "gpt-image-2",
    "dall-e-3",
    "dall-e-2",
  ].filter((model) => imageQualities(model) !== undefined);
  return { openaiImages, falEndpoints: falEndpointIds(), minimax: minimaxModels() };
}
