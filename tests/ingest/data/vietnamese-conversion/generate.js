// Encodes every Vietnamese letter (12 vowels x 6 tones, the quality marks, d-stroke; both
// cases) with the npm package vietnamese-conversion 2.0.0 (MIT, github.com/duydev/vietnamese-conversion)
// and writes the bytes it produces, one letter per line:
//   letters.txt  the letters, UTF-8 (NFC)
//   tcvn3.txt    the same lines as toTCVN3 writes them
//   vni.txt      the same lines as toVNI writes them
//   names.csv, names-tcvn3.csv, names-vni.csv   a small register of names and places (UTF-8,
//                and as each encoder writes it), toned capitals among them
// The converter returns JavaScript strings whose characters stand for Windows-1252 bytes.
// Made once, outside the test run:
//   mkdir /tmp/vc && cd /tmp/vc && npm install vietnamese-conversion@2.0.0
//   NODE_PATH=/tmp/vc/node_modules node generate.js
const fs = require("fs");
const path = require("path");
const { toTCVN3, toVNI } = require("vietnamese-conversion");

const vowels = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"];
const tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"];
const lower = ["đ"];
for (const v of vowels) {
  for (const t of tones) {
    const letter = (v + t).normalize("NFC");
    if (letter.length === 1 && letter.charCodeAt(0) > 0x7f) lower.push(letter);
  }
}
const letters = [...lower, ...lower.map((l) => l.toUpperCase())];
if (letters.length !== 134) throw new Error(`expected 134 letters, got ${letters.length}`);

// Windows-1252 bytes 0x80-0x9F that are not the same code point in Latin-1.
const cp1252 = {
  0x20ac: 0x80, 0x201a: 0x82, 0x0192: 0x83, 0x201e: 0x84, 0x2026: 0x85, 0x2020: 0x86,
  0x2021: 0x87, 0x02c6: 0x88, 0x2030: 0x89, 0x0160: 0x8a, 0x2039: 0x8b, 0x0152: 0x8c,
  0x017d: 0x8e, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93, 0x201d: 0x94, 0x2022: 0x95,
  0x2013: 0x96, 0x2014: 0x97, 0x02dc: 0x98, 0x2122: 0x99, 0x0161: 0x9a, 0x203a: 0x9b,
  0x0153: 0x9c, 0x017e: 0x9e, 0x0178: 0x9f,
};
function bytes(text) {
  const out = [];
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (code in cp1252) out.push(cp1252[code]);
    else if (code <= 0xff) out.push(code);
    else throw new Error(`no Windows-1252 byte for U+${code.toString(16)} in ${text}`);
  }
  return out;
}
function write(name, lines) {
  const all = [];
  for (const line of lines) all.push(...bytes(line), 0x0a);
  fs.writeFileSync(path.join(__dirname, name), Buffer.from(all));
}
fs.writeFileSync(path.join(__dirname, "letters.txt"), letters.join("\n") + "\n", "utf8");
write("tcvn3.txt", letters.map((l) => toTCVN3(l, "unicode")));
write("vni.txt", letters.map((l) => toVNI(l, "unicode")));

const names = [
  "ho_ten,dia_chi",
  "Đặng Thị Ánh Tuyết,Xã Ân Thi",
  "Ngô Thị Ngọc Ẩn,Phường Hiến Nam",
  "Trần Văn Ước,Thị trấn Ẩm Sơn",
  "Lê Thị Ổn,Ấp Ông Ích",
  "Phạm Ỷ Lan,Xã Ứng Hòa",
  "Nguyễn Thị Ỳ,Ấp Ỵ Hạ",
];
fs.writeFileSync(path.join(__dirname, "names.csv"), names.join("\n") + "\n", "utf8");
write("names-tcvn3.csv", names.map((l) => toTCVN3(l, "unicode")));
write("names-vni.csv", names.map((l) => toVNI(l, "unicode")));
