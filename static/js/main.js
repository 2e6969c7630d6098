// The step-through page. One request lays the graph out (/api/trace); every step after that is
// client-side work on the SVG already on screen. Modules by concern: format (numbers), state
// (the trace, indexed), graph (the SVG: slots, classes, zoom), panel (the step's details),
// controls (form, player, keys, URL, exports).

import { initControls } from "./controls.js";
import { initI18n } from "./i18n.js";
import { initLinks } from "./links.js";
import { loadMath } from "./math.js";
import { initZoomPan } from "./zoom.js";

// the page's words first: its catalog is inlined (the server chose the language), so this
// waits for nothing but a standalone file's stored choice of another language
await initI18n();
initZoomPan();
initLinks();
// The examples and the first trace are fetched at once and the first graph drawn when both are
// in; KaTeX comes after it (static/js/controls.js).
initControls(loadMath);
