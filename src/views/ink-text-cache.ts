// The bundle's edits of Ink's render-node-to-output.js and squash-text-nodes.js: a text node whose content did not change is not squashed again.
/*
 * Why: Ink (8.0) walks the whole tree on every frame and, for every <Text>, concatenates its nested children, applies
 * each nested Text's colour transform (chalk), sanitises the result, measures its widest line and wraps it
 * (squashTextNodes, widestLine, wrapText), although a frame at 200x50 changes a few rows. In a CPU profile of the
 * steady demo that was a third of a frame (docs/performance.md). Ink exports none of this and its modules import each
 * other directly, so it cannot be wrapped from outside as its Output is (ink-output-cache.ts): scripts/bundle.ts runs
 * this edit on Ink's file as it bundles it. Outside the bundle (tests, dist/src) Ink runs as published: slower, the
 * same frames (test/views/ink-text-cache.test.tsx draws the same trees with both and compares every frame).
 *
 * When a text node's squashed text can change, Ink tells Yoga: every change under a <Text> (a string, a child added,
 * moved or removed, a nested Text's transform or visibility, the wrap mode) goes through dom.js markNodeAsDirty or
 * setStyle, which call markDirty() on the Text's Yoga node. So markDirty() is counted per Yoga node, and a text node's
 * squashed and wrapped text is reused while its count, its width for wrapping (getMaxWidth) and its wrap mode are the
 * ones it was made with. The Text's own transform is not part of it: Ink passes that to Output with the text, as before.
 * Anything unexpected (another Ink whose file does not have these lines) leaves the file as it is.
 */

/** The text branch of renderNodeToOutput in Ink 8.0, which the edit replaces. */
const TEXT_BRANCH = `        let text = squashTextNodes(node);
        if (text.length > 0) {
            const currentWidth = widestLine(text);
            const maxWidth = getMaxWidth(yogaNode);
            if (currentWidth > maxWidth) {
                const textWrap = node.style.textWrap ?? 'wrap';
                text = wrapText(text, maxWidth, textWrap);
            }
            text = applyPaddingToText(node, text);`;

const CACHED_BRANCH = `        let text = twsRiskTextOf(node, yogaNode);
        if (text.length > 0) {
            text = applyPaddingToText(node, text);`;

/**
 * markDirty() counted per Yoga node, under a registered symbol and installed once, so that both edits (this file's two)
 * read the same count whichever of Ink's modules loads first.
 */
const COUNT_DIRTIED = `const twsRiskDirtied = Symbol.for('tws-risk markDirty count');
{
    const proto = Yoga.Node.prototype;
    const counted = Symbol.for('tws-risk markDirty counted');
    if (proto[counted] !== true) {
        const markDirty = proto.markDirty;
        proto.markDirty = function (...args) {
            this[twsRiskDirtied] = (this[twsRiskDirtied] ?? 0) + 1;
            return markDirty.apply(this, args);
        };
        proto[counted] = true;
    }
}`;

/** What the edit adds after Ink's imports: the count of markDirty() calls, and the lookup. */
const CACHE = `
// tws-risk (src/views/ink-text-cache.ts): a text node's squashed, wrapped text, reused while Yoga was not told of a change.
${COUNT_DIRTIED}
const twsRiskTexts = new WeakMap();
const twsRiskTextOf = (node, yogaNode) => {
    const dirtied = yogaNode[twsRiskDirtied] ?? 0;
    const maxWidth = getMaxWidth(yogaNode);
    const textWrap = node.style.textWrap ?? 'wrap';
    const last = twsRiskTexts.get(node);
    if (last !== undefined && last.yogaNode === yogaNode && last.dirtied === dirtied && last.maxWidth === maxWidth && last.textWrap === textWrap) {
        return last.text;
    }
    let text = squashTextNodes(node);
    if (text.length > 0 && widestLine(text) > maxWidth) {
        text = wrapText(text, maxWidth, textWrap);
    }
    twsRiskTexts.set(node, { yogaNode, dirtied, maxWidth, textWrap, text });
    return text;
};
`;

const LAST_IMPORT = `import renderBackground from './render-background.js';\n`;

/** Ink's render-node-to-output.js with text nodes cached, or undefined when the file is not the one this edit knows. */
export function cacheInkTextNodes(source: string): string | undefined {
  const at = source.indexOf(TEXT_BRANCH);
  if (at === -1 || source.indexOf(TEXT_BRANCH, at + 1) !== -1) return undefined;
  const importAt = source.indexOf(LAST_IMPORT);
  if (importAt === -1 || importAt > at || !source.includes("import Yoga from 'yoga-layout';")) return undefined;
  const end = importAt + LAST_IMPORT.length;
  const withCache = source.slice(0, end) + CACHE + source.slice(end);
  return withCache.replace(TEXT_BRANCH, CACHED_BRANCH);
}

/*
 * The squashed text itself, for Yoga's measuring too. Ink's measure function (dom.js measureTextNode) squashes a text
 * node again whenever Yoga measures it: a changed line was squashed once to be measured and once more to be drawn (the
 * render edit above caches what it drew, not what was measured), and Yoga measures a node again at each new width
 * offered. With this edit squashTextNodes, as Ink's other modules import it, keeps a text node's result while the
 * markDirty() count of its Yoga node is the one it was made with: the same argument as above (every change under a Text
 * marks it dirty), and the text does not depend on the width (wrapping comes after it).
 */
const SQUASH_EXPORT = 'export default squashTextNodes;';

const SQUASH_CACHE = `import Yoga from 'yoga-layout';
// tws-risk (src/views/ink-text-cache.ts): a text node's squashed text, reused while Yoga was not told of a change.
${COUNT_DIRTIED}
const twsRiskSquashed = new WeakMap();
const twsRiskSquashTextNodes = (node) => {
    const yogaNode = node.yogaNode;
    if (node.nodeName !== 'ink-text' || yogaNode === undefined) return squashTextNodes(node);
    const dirtied = yogaNode[twsRiskDirtied] ?? 0;
    const last = twsRiskSquashed.get(node);
    if (last !== undefined && last.yogaNode === yogaNode && last.dirtied === dirtied) return last.text;
    const text = squashTextNodes(node);
    twsRiskSquashed.set(node, { yogaNode, dirtied, text });
    return text;
};
export default twsRiskSquashTextNodes;`;

/** Ink's squash-text-nodes.js with text nodes' results cached, or undefined when the file is not the one this edit knows. */
export function cacheInkSquash(source: string): string | undefined {
  const at = source.indexOf(SQUASH_EXPORT);
  if (at === -1 || source.indexOf(SQUASH_EXPORT, at + 1) !== -1) return undefined;
  // The function's own recursion (nested Texts) calls the local name and is left as it is.
  if (!/^const squashTextNodes = \(node\) => \{$/m.test(source) || source.includes('yoga-layout')) return undefined;
  return source.slice(0, at) + SQUASH_CACHE + source.slice(at + SQUASH_EXPORT.length);
}
