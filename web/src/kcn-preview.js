/*
 * kcn-preview.js: the page that kcn-tile --preview writes next to its
 * tiles.  It shows the tile set of window.KCN_CONFIG (written by kcn-tile
 * into index.html) on a full-window map without any basemap, so it works
 * offline, with a panel that switches layers on and off and explains
 * their colours, and, for vector tiles, the attributes of a clicked
 * feature.
 *
 * Raster tiles (PNG) hold every layer drawn into one image, so they are
 * one map layer.  Vector tiles are drawn here from the same styles that
 * kcn-tile draws its PNG tiles with (see kcn-tile(1)): one map layer per
 * tile layer, all reading the same tiles.
 *
 * Libraries: OpenLayers (global "ol") draws everything with the 2D
 * canvas; pmtiles (global "pmtiles") reads .pmtiles archives by HTTP
 * range requests.
 */
(function () {
	'use strict';

	var cfg = window.KCN_CONFIG;
	var WORLD = 20037508.342789244;	/* half the Web Mercator world */
	var LAYER_KEY = '__kcn_layer';	/* the tile layer of a feature */
	var TILE_ERROR = 3, TILE_EMPTY = 4;	/* OpenLayers' tile states */

	var panel = document.getElementById('kcn-panel');

	/* ---- small helpers ------------------------------------------------ */

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	/* A message at the top of the panel (errors and hints). */
	function note(text, isError) {
		var n = el('div', isError ? 'kcn-note kcn-error' : 'kcn-note',
		    text);

		panel.hidden = false;
		panel.insertBefore(n, panel.firstChild);
	}

	/*
	 * "#rgb", "#rrggbb" or "#rrggbbaa" as [r, g, b, a] with the alpha
	 * multiplied by OPACITY; null for no colour or a transparent one.
	 */
	function rgba(hex, opacity) {
		var h, v;

		if (typeof hex !== 'string' || hex.charAt(0) !== '#')
			return null;
		h = hex.slice(1);
		if (h.length === 3)
			h = h.replace(/./g, '$&$&');
		if (h.length === 6)
			h += 'ff';
		if (h.length !== 8 || /[^0-9a-f]/i.test(h))
			return null;
		v = [0, 2, 4, 6].map(function (i) {
			return parseInt(h.substr(i, 2), 16);
		});
		if (v[3] === 0)
			return null;
		return [v[0], v[1], v[2], v[3] / 255 * opacity];
	}

	function css(c) {
		return c ? 'rgba(' + c.join(',') + ')' : 'transparent';
	}

	/* Numbers written as people write them (no 0.10000000000000001). */
	function num(v) {
		return String(Number(Number(v).toPrecision(12)));
	}

	/* ---- styles ------------------------------------------------------- */

	/*
	 * The fill colour of a feature with attribute value V under layer
	 * L's classes, as kcn-tile picks it: graduated classes hold their
	 * value and up, numbers only; categorical ones the exact text;
	 * otherwise, and below the first break, the layer's fill.
	 */
	function pick(L, v) {
		var c = L.classes || [], i;

		if (!L.by || c.length === 0 || v === undefined || v === null)
			return L.fill;
		if (L.graduated) {
			if (typeof v !== 'number' || !(v >= c[0].value))
				return L.fill;
			for (i = c.length - 1; i > 0 && v < c[i].value; i--)
				;
			return c[i].color;
		}
		for (i = 0; i < c.length; i++)
			if (c[i].text === String(v))
				return c[i].color;
		return L.fill;
	}

	/*
	 * Lines are drawn in the stroke colour; a line layer without one, or
	 * coloured by a field, takes its (class) fill, made opaque, as
	 * kcn-tile does.
	 */
	function lineHasStroke(L) {
		return rgba(L.stroke, 1) !== null && L.width > 0;
	}

	function byClasses(L) {
		return !!L.by && (L.classes || []).length > 0;
	}

	function lineColor(L, fill) {
		if (lineHasStroke(L) && !byClasses(L))
			return L.stroke;
		return typeof fill === 'string' && fill.length === 9 ?
		    fill.slice(0, 7) : fill;
	}

	/* Geometry type as "point", "line" or "polygon". */
	function shape(type) {
		if (/Point/.test(type))
			return 'point';
		if (/LineString/.test(type))
			return 'line';
		return 'polygon';
	}

	function makeStyle(L, what, fill) {
		var o = L.opacity === undefined ? 1 : L.opacity;
		var f = rgba(fill, o), s = L.width > 0 ? rgba(L.stroke, o) : null;
		var stroke = s ? new ol.style.Stroke({ color: s,
		    width: L.width }) : undefined;
		var opts = {}, r = (L.size || 0) / 2;

		if (what === 'polygon') {
			opts.fill = f ? new ol.style.Fill({ color: f }) : undefined;
			opts.stroke = stroke;
		} else if (what === 'line') {
			var lc = rgba(lineColor(L, fill), o);

			if (lc)
				opts.stroke = new ol.style.Stroke({ color: lc,
				    width: lineHasStroke(L) ? L.width :
				    Math.max(L.width, 1) });
		} else if (L.symbol !== 'none' && r > 0 && (f || stroke)) {
			/*
			 * Symbols are always drawn, as in the PNG tiles; only labels
			 * give way to each other.  ("none" also keeps them found by
			 * clicks in OpenLayers 10.)
			 */
			var sym = {
				fill: f ? new ol.style.Fill({ color: f }) : undefined,
				stroke: stroke,
				declutterMode: 'none'
			};

			if (L.symbol === 'square') {
				sym.points = 4;
				sym.radius = r * Math.SQRT2;
				sym.angle = Math.PI / 4;
				opts.image = new ol.style.RegularShape(sym);
			} else {
				sym.radius = r;
				opts.image = new ol.style.Circle(sym);
			}
		}
		return new ol.style.Style(opts);
	}

	/* The style function of tile layer L. */
	function styleFunction(L) {
		var cache = {};
		var textFill = new ol.style.Fill({ color: '#222' });
		var halo = new ol.style.Stroke({ color: 'rgba(255,255,255,0.9)',
		    width: 3 });

		return function (feature) {
			var what, fill, key, st, text;

			if (feature.get(LAYER_KEY) !== L.name)
				return undefined;
			what = shape(feature.getType());
			fill = pick(L, L.by ? feature.get(L.by) : null);
			key = what + ' ' + fill;
			st = cache[key] || (cache[key] = makeStyle(L, what, fill));
			if (!L.label)
				return st;
			text = feature.get(L.label);
			if (text === undefined || text === null || text === '')
				return st;
			return [st, new ol.style.Style({
				text: new ol.style.Text({
					text: String(text),
					font: '12px sans-serif',
					fill: textFill,
					stroke: halo,
					placement: what === 'line' ? 'line' : 'point',
					offsetY: what === 'point' && L.symbol !== 'none' ?
					    -(L.size / 2 + 8) : 0
				})
			})];
		};
	}

	/* ---- tiles -------------------------------------------------------- */

	/*
	 * The z/x/y tile grid up to the highest zoom, its extent the tile
	 * set's bounds, so that no tile outside them is asked for.
	 */
	function tileGrid(extent) {
		var res = [];

		for (var z = 0; z <= cfg.maxzoom; z++)
			res.push(2 * WORLD / 256 / Math.pow(2, z));
		return new ol.tilegrid.TileGrid({
			origin: [-WORLD, WORLD],
			extent: extent,
			resolutions: res,
			minZoom: cfg.minzoom,
			tileSize: 256
		});
	}

	/*
	 * The .pmtiles file, read by HTTP range requests.  A server that
	 * ignores them (python3 -m http.server does) sends the whole file:
	 * then it is kept, up to WHOLE_MAX bytes, and read from memory.
	 */
	var WHOLE_MAX = 256 * 1024 * 1024;

	function RangeSource(url) {
		this.url = url;
		this.whole = null;	/* the whole file, once a server sent it */
	}

	RangeSource.prototype.getKey = function () {
		return this.url;
	};

	RangeSource.prototype.getBytes = function (offset, length) {
		var self = this;

		function slice(buf) {
			return { data: buf.slice(offset, offset + length) };
		}
		if (this.whole)
			return this.whole.then(slice);
		return fetch(this.url, { headers: { Range: 'bytes=' + offset +
		    '-' + (offset + length - 1) } }).then(function (r) {
			var n;

			if (r.status === 206)
				return r.arrayBuffer().then(function (d) {
					return { data: d };
				});
			if (r.status !== 200)
				throw new Error('HTTP status ' + r.status);
			n = Number(r.headers.get('Content-Length'));
			if (n > WHOLE_MAX) {
				r.body.cancel();
				throw new Error('the server ignores range requests ' +
				    'and the file has ' + Math.round(n / 1048576) +
				    ' MB: serve it with one that honours them');
			}
			if (self.whole) {
				r.body.cancel();
			} else {
				self.whole = r.arrayBuffer();
				self.whole.catch(function () {
					self.whole = null;
				});
			}
			return self.whole.then(slice);
		});
	};

	function archive() {
		var p = new pmtiles.PMTiles(new RangeSource(cfg.url));

		p.getHeader().catch(function (e) {
			note('Cannot read ' + cfg.url + ': ' + e.message, true);
		});
		return p;
	}

	/*
	 * The address of a folder's tile, or nothing for a tile kcn-tile
	 * did not write (it leaves empty tiles out): the page lists the
	 * tiles there as runs of tile ids, start and count in turn.
	 */
	function folderUrl(c) {
		var runs = cfg.tiles || [], id, lo = 0, hi = runs.length / 2;

		if (!c)
			return undefined;
		id = pmtiles.zxyToTileId(c[0], c[1], c[2]);
		while (lo < hi) {
			var mid = (lo + hi) >> 1;

			if (runs[2 * mid] + runs[2 * mid + 1] <= id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= runs.length / 2 || runs[2 * lo] > id)
			return undefined;
		return cfg.url.replace('{z}', c[0]).replace('{x}', c[1])
		    .replace('{y}', c[2]);
	}

	/* PNG tiles: a z/x/y folder, or an archive read tile by tile. */
	function rasterSource(grid) {
		var opts = {
			tileGrid: grid,
			tilePixelRatio: cfg.scale === 2 ? 2 : 1,
			transition: 0
		};
		var p;

		if (cfg.store !== 'pmtiles') {
			opts.tileUrlFunction = folderUrl;
			return new ol.source.XYZ(opts);
		}
		p = archive();
		opts.url = 'pmtiles://{z}/{x}/{y}';
		opts.tileLoadFunction = function (tile) {
			var c = tile.getTileCoord();

			p.getZxy(c[0], c[1], c[2]).then(function (r) {
				var img = tile.getImage(), u;

				if (!r) {
					tile.setState(TILE_EMPTY);
					return;
				}
				u = URL.createObjectURL(new Blob([r.data],
				    { type: 'image/png' }));
				img.addEventListener('load', function () {
					URL.revokeObjectURL(u);
				});
				img.src = u;
			}).catch(function () {
				tile.setState(TILE_ERROR);
			});
		};
		return new ol.source.XYZ(opts);
	}

	/* Vector tiles: a z/x/y folder of .pbf, or an archive. */
	function vectorSource(grid) {
		var opts = {
			format: new ol.format.MVT({ layerName: LAYER_KEY }),
			tileGrid: grid,
			transition: 0
		};
		var p;

		if (cfg.store !== 'pmtiles') {
			opts.tileUrlFunction = folderUrl;
			return new ol.source.VectorTile(opts);
		}
		p = archive();
		opts.url = 'pmtiles://{z}/{x}/{y}';
		opts.tileLoadFunction = function (tile) {
			tile.setLoader(function (extent, resolution, projection) {
				var c = tile.getTileCoord();

				p.getZxy(c[0], c[1], c[2]).then(function (r) {
					tile.setFeatures(r ? tile.getFormat().readFeatures(
					    r.data, { extent: extent,
					    featureProjection: projection }) : []);
				}).catch(function () {
					tile.onError();
				});
			});
		};
		return new ol.source.VectorTile(opts);
	}

	/* ---- the panel: layer switcher and legend ------------------------- */

	/* A small picture of how a feature of L with FILL is drawn. */
	function swatch(L, fill) {
		var what = L.kind === 'mixed' ? 'polygon' : L.kind;
		var o = L.opacity === undefined ? 1 : L.opacity;
		var box = el('span', 'kcn-swatch'), mark;

		if (what === 'line') {
			mark = el('span', 'kcn-sw-line');
			mark.style.borderTopColor = css(rgba(lineColor(L, fill), o));
			mark.style.borderTopWidth = Math.max(1, Math.min(
			    lineHasStroke(L) ? L.width : Math.max(L.width, 1),
			    8)) + 'px';
		} else if (what === 'point') {
			var d = Math.max(6, Math.min(L.size || 0, 16));

			mark = el('span', 'kcn-sw-point' + (L.symbol === 'square' ?
			    '' : ' kcn-round'));
			mark.style.width = mark.style.height = d + 'px';
			mark.style.background = css(rgba(fill, o));
		} else {
			mark = el('span', 'kcn-sw-area');
			mark.style.background = css(rgba(fill, o));
		}
		if (what !== 'line' && L.width > 0 && rgba(L.stroke, o))
			mark.style.border = Math.min(L.width, 3) + 'px solid ' +
			    css(rgba(L.stroke, o));
		box.appendChild(mark);
		return box;
	}

	/* Does L's colour depend on its classes? */
	function usesClasses(L) {
		return byClasses(L);
	}

	/* The legend rows of L's classes. */
	function classRows(L) {
		var list = el('ul', 'kcn-classes'), c = L.classes, i;

		function row(fill, text) {
			var li = el('li');

			li.appendChild(swatch(L, fill));
			li.appendChild(el('span', 'kcn-class-text', text));
			list.appendChild(li);
		}
		for (i = 0; i < c.length; i++) {
			if (!L.graduated)
				row(c[i].color, c[i].text);
			else if (i + 1 < c.length)
				row(c[i].color, num(c[i].value) + ' to ' +
				    num(c[i + 1].value));
			else
				row(c[i].color, num(c[i].value) + ' and more');
		}
		if (rgba(L.fill, 1) || L.kind === 'line')
			row(L.fill, L.graduated ? 'below ' + num(c[0].value) +
			    ' or none' : 'other');
		return list;
	}

	function buildPanel(layers) {
		var head = el('div', 'kcn-head'), list = el('ul', 'kcn-layers');
		var zoom = el('div', 'kcn-zoom');

		head.appendChild(el('div', 'kcn-title', cfg.name));
		head.appendChild(el('div', 'kcn-sub', (cfg.format === 'png' ?
		    'raster' : 'vector') + ' tiles, zoom ' + cfg.minzoom +
		    (cfg.maxzoom > cfg.minzoom ? ' to ' + cfg.maxzoom : '')));
		panel.appendChild(head);

		/* A check box in LINE (a label) that shows and hides OLLAYER. */
		function toggle(line, olLayer) {
			var box = el('input');

			box.type = 'checkbox';
			box.checked = true;
			box.addEventListener('change', function () {
				olLayer.setVisible(box.checked);
			});
			line.appendChild(box);
			return line;
		}
		if (cfg.format === 'png') {
			var all = toggle(el('label', 'kcn-line kcn-toggle kcn-all'),
			    layers[0]);

			all.appendChild(el('span', null, 'all layers (one image)'));
			panel.appendChild(all);
		}
		cfg.layers.forEach(function (L, i) {
			var li = el('li', 'kcn-layer'), line;

			li.setAttribute('data-layer', L.name);
			if (cfg.format === 'png')
				line = el('div', 'kcn-line');
			else
				line = toggle(el('label', 'kcn-line kcn-toggle'),
				    layers[i]);
			if (!usesClasses(L))
				line.appendChild(swatch(L, L.fill));
			line.appendChild(el('span', 'kcn-name', L.name));
			if (usesClasses(L))
				line.appendChild(el('span', 'kcn-by', 'by ' + L.by));
			li.appendChild(line);
			if (usesClasses(L))
				li.appendChild(classRows(L));
			list.appendChild(li);
		});
		panel.appendChild(list);
		panel.appendChild(zoom);
		panel.hidden = false;
		return zoom;
	}

	/* ---- the attributes of a clicked feature -------------------------- */

	function popup(map, vectorLayers) {
		var box = document.getElementById('kcn-popup');
		var overlay = new ol.Overlay({ element: box, autoPan: false,
		    positioning: 'bottom-center', offset: [0, -8] });

		map.addOverlay(overlay);
		map.on('singleclick', function (e) {
			var hits = map.getFeaturesAtPixel(e.pixel, {
				hitTolerance: 4,
				layerFilter: function (l) {
					return vectorLayers.indexOf(l) >= 0 &&
					    l.getVisible();
				}
			});
			var f = hits && hits[0], props, table, k;

			if (!f) {
				box.hidden = true;
				overlay.setPosition(undefined);
				return;
			}
			props = f.getProperties();
			box.textContent = '';
			box.appendChild(el('div', 'kcn-popup-title', props[LAYER_KEY]));
			table = el('table');
			for (k in props) {
				if (k === LAYER_KEY || k === 'geometry')
					continue;
				var tr = el('tr');

				tr.appendChild(el('th', null, k));
				tr.appendChild(el('td', null, props[k]));
				table.appendChild(tr);
			}
			box.appendChild(table);
			box.hidden = false;
			overlay.setPosition(e.coordinate);
		});
		map.on('pointermove', function (e) {
			if (e.dragging)
				return;
			map.getTargetElement().style.cursor = map.hasFeatureAtPixel(
			    e.pixel, { hitTolerance: 4, layerFilter: function (l) {
				return vectorLayers.indexOf(l) >= 0 &&
				    l.getVisible();
			    } }) ? 'pointer' : '';
		});
	}

	/* ---- the map ------------------------------------------------------ */

	function main() {
		var extent, grid, layers = [], map, zoomText, view;

		if (!cfg || !Array.isArray(cfg.layers) || !Array.isArray(cfg.bounds)) {
			note('No tile set: this page is the template that ' +
			    'kcn-tile --preview fills in.', true);
			return;
		}
		if (location.protocol === 'file:' && (cfg.format !== 'png' ||
		    cfg.store === 'pmtiles'))
			note('Browsers do not read these tiles from a file: ' +
			    'serve this folder (python3 -m http.server) and open ' +
			    'the page through it.', true);
		/* The bounds, a metre wider each way: one point has some. */
		extent = ol.extent.buffer(ol.proj.transformExtent(cfg.bounds,
		    'EPSG:4326', 'EPSG:3857'), 1);
		grid = tileGrid(extent);
		if (cfg.format === 'png') {
			layers.push(new ol.layer.Tile({ source: rasterSource(grid) }));
		} else {
			var source = vectorSource(grid);

			cfg.layers.forEach(function (L, i) {
				layers.push(new ol.layer.VectorTile({
					source: source,
					style: styleFunction(L),
					declutter: !!L.label,
					zIndex: i,
					renderBuffer: Math.max(100, (L.size || 0) + 20)
				}));
			});
		}
		/* Raster tiles at whole zooms only, pixel for pixel. */
		view = new ol.View({ minZoom: cfg.minzoom, maxZoom: cfg.maxzoom,
		    constrainResolution: cfg.format === 'png' });
		map = new ol.Map({
			target: 'map',
			layers: layers,
			view: view,
			controls: ol.control.defaults.defaults({ attribution: false,
			    rotate: false }).extend([new ol.control.ScaleLine()])
		});
		document.title = cfg.name + ' - kcn-tile preview';
		zoomText = buildPanel(layers);
		/* The tiles beside the panel when the window is wide enough. */
		var right = panel.offsetWidth + 30;

		view.fit(extent, { padding: [20, map.getSize()[0] > 3 * right ?
		    right : 20, 20, 20] });
		function showZoom() {
			var z = view.getZoom();

			zoomText.textContent = z === undefined ? '' :
			    'map zoom ' + z.toFixed(1);
		}
		view.on('change:resolution', showZoom);
		showZoom();
		if (cfg.format !== 'png')
			popup(map, layers);
		window.kcnMap = map;	/* for tests and the curious */
	}

	main();
})();
