// Scores pseudo-random CVSS v4.0 vectors with FIRST's reference calculator
// (https://github.com/FIRSTdotorg/cvss-v4-calculator) to produce cvss4-first.txt:
//   node cvss4-first.js DIR_OF_THE_CALCULATOR_CHECKOUT > cvss4-first.txt
const fs = require('fs'), vm = require('vm');
const dir = process.argv[2];
const ctx = {};
vm.createContext(ctx);
for (const f of ['cvss_lookup.js', 'max_composed.js', 'max_severity.js', 'cvss_score.js']) {
  vm.runInContext(fs.readFileSync(dir + '/' + f, 'utf8'), ctx);
}
const base = [['AV', 'NALP'], ['AC', 'LH'], ['AT', 'NP'], ['PR', 'NLH'], ['UI', 'NPA'],
  ['VC', 'HLN'], ['VI', 'HLN'], ['VA', 'HLN'], ['SC', 'HLN'], ['SI', 'HLN'], ['SA', 'HLN']];
const extra = [['E', 'XAPU'], ['CR', 'XHML'], ['IR', 'XHML'], ['AR', 'XHML'], ['MAV', 'XNALP'],
  ['MAC', 'XLH'], ['MAT', 'XNP'], ['MPR', 'XNLH'], ['MUI', 'XNPA'], ['MVC', 'XNLH'], ['MVI', 'XNLH'],
  ['MVA', 'XNLH'], ['MSC', 'XNLH'], ['MSI', 'XNLHS'], ['MSA', 'XNLHS']];
let seed = 1;
function rnd(n) { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; }
for (let i = 0; i < 3000; i++) {
  const sel = {};
  const parts = ['CVSS:4.0'];
  for (const [k, vals] of base) { sel[k] = vals[rnd(vals.length)]; parts.push(k + ':' + sel[k]); }
  for (const [k, vals] of extra) {
    sel[k] = 'X';
    if (i >= 1000 && rnd(3) == 0) { sel[k] = vals[rnd(vals.length)]; if (sel[k] != 'X') parts.push(k + ':' + sel[k]); }
  }
  const mv = vm.runInContext('macroVector', ctx)(sel);
  const score = vm.runInContext('cvss_score', ctx)(sel, ctx.cvssLookup_global, ctx.maxSeverity, mv);
  console.log(parts.join('/') + ' ' + score.toFixed(1));
}
