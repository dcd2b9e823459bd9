// check.mjs: opens kcn-tile's preview pages in headless Chromium and
// checks them.  run.sh makes the tiles and serves them; this script only
// looks.
//
//   node check.mjs BASE_URL SHOT_DIR CASE...
//
// CASE is NAME,PAGE,LAYER,#RRGGBB: the page at BASE_URL/PAGE, a layer of
// it and an opaque colour that layer is drawn in (some pixels of the map
// must have it, and none once the layer is switched off).  The
// screenshots go to SHOT_DIR/NAME.png.  Prints "PASS check" or "FAIL
// check: why" a line; the exit status is 1 when a check failed.
//
// Environment: CHROMIUM (default /usr/bin/chromium), WEBDIR_NODE (the
// folder whose node_modules hold playwright-core and pngjs).

import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webNode = process.env.WEBDIR_NODE || path.join(here, '..', '..', 'web');
const require = createRequire(path.join(webNode, 'package.json'));
const { chromium } = require('playwright-core');
const { PNG } = require('pngjs');

const [base, shotDir, ...cases] = process.argv.slice(2);
if (!base || !shotDir || cases.length === 0) {
	console.error('usage: node check.mjs BASE_URL SHOT_DIR NAME,PAGE,LAYER,#RRGGBB ...');
	process.exit(64);
}

let failed = 0;
function report(name, why) {
	if (why) {
		failed++;
		console.log(`FAIL ${name}: ${why}`);
	} else {
		console.log(`PASS ${name}`);
	}
}

// Waits until the server answers (it may still be starting).
async function waitServer(url, ms) {
	const end = Date.now() + ms;
	for (;;) {
		const ok = await new Promise((res) => {
			const rq = http.get(url, (r) => {
				r.resume();
				res(r.statusCode < 500);
			});
			rq.on('error', () => res(false));
			rq.setTimeout(1000, () => {
				rq.destroy();
				res(false);
			});
		});
		if (ok)
			return true;
		if (Date.now() > end)
			return false;
		await new Promise((r) => setTimeout(r, 100));
	}
}

// Waits for the map to have drawn every tile it asked for.
function rendered(page) {
	return page.evaluate(() => new Promise((res, rej) => {
		const t = setTimeout(() => rej(new Error('map not drawn in 15 s')), 15000);
		window.kcnMap.once('rendercomplete', () => {
			clearTimeout(t);
			res();
		});
		window.kcnMap.render();
	}));
}

function hex(c) {
	const v = parseInt(c.slice(1), 16);
	return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// The map's pixels outside the panel: distinct colours, where the
// colour RGB is (within TOL a channel), and one of the page's background.
const PAPER = 0xf4f3f0;
function look(buf, skip, rgb, tol = 10) {
	const png = PNG.sync.read(buf);
	const colours = new Set();
	const hits = [];
	let paper = null;
	for (let y = 0; y < png.height; y++) {
		for (let x = 0; x < png.width; x++) {
			if (skip.some((r) => x >= r.x && x < r.x + r.width &&
			    y >= r.y && y < r.y + r.height))
				continue;
			const i = 4 * (y * png.width + x);
			const p = png.data;
			const c = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
			colours.add(c);
			if (c === PAPER && !paper && x > 50 && y < png.height - 50)
				paper = [x, y];
			if (Math.abs(p[i] - rgb[0]) <= tol &&
			    Math.abs(p[i + 1] - rgb[1]) <= tol &&
			    Math.abs(p[i + 2] - rgb[2]) <= tol)
				hits.push([x, y]);
		}
	}
	return { colours: colours.size, hits, paper };
}

async function checkCase(browser, spec) {
	const [name, pagePath, layer, colour] = spec.split(',');
	const url = `${base}/${pagePath}`;
	const pageDir = url.slice(0, url.lastIndexOf('/') + 1);
	const errors = [];
	const tiles = { ok: 0, bad: [] };
	const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });

	page.on('console', (m) => {
		if (m.type() === 'error')
			errors.push(`console: ${m.text()}`);
	});
	page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) =>
		errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
	page.on('response', (r) => {
		const u = r.url();
		if (!u.startsWith(pageDir))
			return;
		const rel = u.slice(pageDir.length);
		if (/^\d+\/\d+\/\d+\.(png|pbf)$/.test(rel) || /\.pmtiles$/.test(rel)) {
			if (r.status() === 200 || r.status() === 206)
				tiles.ok++;
			else
				tiles.bad.push(`${rel} ${r.status()}`);
		}
	});

	// The page loads and draws its map.
	let loaded = null;
	try {
		const r = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
		if (!r || r.status() !== 200)
			loaded = `HTTP ${r ? r.status() : 'no response'} for ${url}`;
		else if (!(await page.evaluate(() => !!window.kcnMap)))
			loaded = 'no map on the page';
		else
			await rendered(page);
	} catch (e) {
		loaded = e.message.split('\n')[0];
	}
	report(`${name}: page loads and draws`, loaded);
	if (loaded) {
		report(`${name}: no console or page errors`, errors.join('; ') || null);
		await page.close();
		return;
	}

	report(`${name}: tile requests`, tiles.ok === 0 ? 'no tile was served' :
	    tiles.bad.length ? `${tiles.ok} served, failed: ${tiles.bad.slice(0, 5).join(', ')}` : null);

	// The legend names every layer.
	const legend = await page.evaluate(() => {
		const cfg = window.KCN_CONFIG;
		const text = document.getElementById('kcn-panel').textContent;
		return cfg.layers.map((l) => l.name).filter((n) => !text.includes(n));
	});
	report(`${name}: legend lists the layers`,
	    legend.length ? `missing ${legend.join(', ')}` : null);

	// The screenshot: not blank, and the layer's colour in it.
	// (Not the panel, the zoom buttons and the scale bar, shadows too.)
	const skip = await page.evaluate(() => Array.from(document.querySelectorAll(
	    '#kcn-panel, .ol-control, .ol-scale-line')).map((e) => {
		const r = e.getBoundingClientRect();
		return { x: r.x - 8, y: r.y - 8, width: r.width + 16, height: r.height + 16 };
	}));
	const shot = await page.screenshot();
	const file = path.join(shotDir, `${name}.png`);
	writeFileSync(file, shot);
	const rgb = hex(colour);
	const seen = look(shot, skip, rgb);
	report(`${name}: screenshot not blank`, seen.colours < 16 ?
	    `only ${seen.colours} colours in the map (${file})` : null);
	report(`${name}: layer ${layer} drawn in ${colour}`, seen.hits.length < 20 ?
	    `${seen.hits.length} pixels of it (${file})` : null);

	// Attributes on click (vector tiles): click where the layer is drawn.
	const vector = await page.evaluate(() => window.KCN_CONFIG.format !== 'png');
	if (vector && seen.hits.length > 0) {
		const [x, y] = seen.hits[Math.floor(seen.hits.length / 2)];
		const popup = (shown) => page.waitForFunction((shown) =>
		    !document.getElementById('kcn-popup').hidden === shown, shown,
		    { timeout: 3000 }).then(() => true, () => false);
		await page.mouse.click(x, y);
		await popup(true);
		const pop = await page.evaluate(() => {
			const p = document.getElementById('kcn-popup');
			return p.hidden ? null : p.textContent;
		});
		let why = pop === null ? `no popup after a click at ${x},${y}` :
		    !pop.includes(layer) ? `popup without the layer's name: ${pop.slice(0, 80)}` : null;
		if (!why && seen.paper) {	/* a click on nothing closes it */
			await page.mouse.click(...seen.paper);
			if (!(await popup(false)))
				why = `the popup stays after a click on nothing at ${seen.paper}`;
		}
		report(`${name}: click shows attributes`, why);
	}

	// The switch hides the layer.
	const toggle = vector ? page.locator(`.kcn-layer[data-layer="${layer}"] input`)
	    : page.locator('.kcn-all input');
	let hidden = null;
	if (await toggle.count() !== 1) {
		hidden = 'no switch for it in the panel';
	} else if (seen.hits.length < 20) {
		hidden = 'the layer is not drawn to begin with';
	} else {
		await toggle.uncheck();
		await rendered(page);
		const off = look(await page.screenshot(), skip, rgb);
		if (off.hits.length > seen.hits.length / 10)
			hidden = `${off.hits.length} of ${seen.hits.length} pixels still there`;
		await toggle.check();
	}
	report(`${name}: switching ${vector ? layer : 'the tiles'} off hides it`, hidden);

	report(`${name}: no console or page errors`, listed(errors));

	// Every tile at the highest zoom: the view walks over the bounds,
	// and no tile may be missing (a 404 is an error in the console).
	errors.length = 0;
	tiles.bad.length = 0;
	let walk = null;
	try {
		const maxz = await page.evaluate(() => {
			const n = window.kcnTileCount = { loaded: 0, failed: 0 };
			const sources = new Set(window.kcnMap.getAllLayers().map((l) => l.getSource()));
			for (const src of sources) {
				src.on('tileloadend', () => n.loaded++);
				src.on('tileloaderror', () => n.failed++);
			}
			return window.KCN_CONFIG.maxzoom;
		});
		const centres = await page.evaluate(() => {
			const m = window.kcnMap, v = m.getView(), cfg = window.KCN_CONFIG;
			v.setZoom(cfg.maxzoom);
			const [w, h] = m.getSize().map((d) => d * v.getResolution());
			const e = ol.proj.transformExtent(cfg.bounds, 'EPSG:4326', 'EPSG:3857');
			const out = [];
			for (let y = e[3] - h / 2; y - h / 2 < e[3] && y + h / 2 > e[1]; y -= h)
				for (let x = e[0] + w / 2; x - w / 2 < e[2]; x += w)
					out.push([x, y]);
			return out;
		});
		for (const c of centres) {
			await page.evaluate((c) => window.kcnMap.getView().setCenter(c), c);
			await rendered(page);
		}
		const n = await page.evaluate(() => window.kcnTileCount);
		if (tiles.bad.length || errors.length || n.failed)
			walk = `${n.failed} tiles failed` + (tiles.bad.length ||
			    errors.length ? ': ' + listed(tiles.bad.concat(errors)) : '');
		else if (n.loaded === 0)
			walk = `no tile loaded at zoom ${maxz}`;
	} catch (e) {
		walk = e.message.split('\n')[0];
	}
	report(`${name}: every tile at the highest zoom, without errors`, walk);
	await page.close();
}

function listed(a) {
	if (a.length === 0)
		return null;
	return a.slice(0, 5).join('; ') + (a.length > 5 ? `; and ${a.length - 5} more` : '');
}

mkdirSync(shotDir, { recursive: true });
if (!(await waitServer(base + '/', 10000))) {
	report('server answers', `nothing at ${base} in 10 s`);
	process.exit(1);
}
let browser;
try {
	browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--disable-gpu'],
		timeout: 30000
	});
} catch (e) {
	report('chromium starts', e.message.split('\n')[0]);
	process.exit(1);
}
try {
	for (const c of cases)
		await checkCase(browser, c);
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
