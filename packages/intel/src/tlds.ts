/**
 * Top-level domains accepted when a domain is found in free text. Not the whole IANA root zone
 * (≈1,450 names, many unused brand TLDs): every ccTLD plus the generic TLDs that actually show up
 * in abuse and business traffic. The point is to reject file names (`cmd.exe`, `index.php`),
 * .NET / Java namespaces and version numbers, which a syntax check alone lets through.
 */
const CC_TLDS =
  'ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz ' +
  'ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm ' +
  'fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it ' +
  'je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn ' +
  'mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps ' +
  'pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj ' +
  'tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw';

const GENERIC_TLDS =
  'com net org info biz gov edu mil int arpa name pro mobi asia tel travel jobs museum aero coop cat post xxx ' +
  'xyz top site online club shop store tech app dev cloud live life world today space website icu vip work ' +
  'link click buzz fun host press news email digital network services solutions agency company group global ' +
  'center systems software support tools zone city one studio media blog design art love win bid loan date ' +
  'download review stream racing party trade science faith men cricket accountant webcam gdn kim ltd llc inc ' +
  'page web wiki run best monster cyou sbs cfd bond rest quest lol lat mom boo cam casa ooo bar surf vin wtf ' +
  'plus rocks ninja guru expert tips academy auction audio bank bet bike bingo black blue build business cafe ' +
  'capital care cash casino chat cheap church claims cleaning clinic codes coffee community computer consulting ' +
  'deals delivery dental diamonds direct directory discount domains education energy engineering enterprises ' +
  'equipment estate events exchange express fail farm finance financial fitness flights football foundation ' +
  'fund gallery games gift gifts gold golf graphics green guide health healthcare help holdings house immo ' +
  'industries institute insure international investments kitchen land legal lighting limited loans luxe ' +
  'management market marketing mba money moscow nyc london berlin tokyo paris amsterdam partners photo ' +
  'photography photos pics pictures pink pizza place plumbing poker porn productions properties pub realty red ' +
  'reise rent repair report rip sale sarl school security sex shoes show singles social solar style supply tax ' +
  'taxi team technology tennis tienda tours town toys training university vacations ventures vet video villas ' +
  'vision voyage watch wine works yoga zip mov phd foo nexus dad esq prof meme new how soy google youtube ' +
  'gmail android chrome play goog microsoft azure windows office bing skype xbox amazon aws apple';

export const TLDS: ReadonlySet<string> = new Set(`${CC_TLDS} ${GENERIC_TLDS}`.split(/\s+/));

/**
 * TLDs that are also common file extensions (`setup.py`, `run.sh`, `lib.so`, `invoice.zip`,
 * `clip.mov`, `main.tf`). A bare two-label name ending in one of them, found in free text, is far
 * more often a file than a host, so it is only taken from a named field or a URL.
 */
export const FILE_LIKE_TLDS: ReadonlySet<string> = new Set(
  'zip mov py sh pl pm rs md ps so ai cc mk am in tf ml app sc ms cu'.split(' '),
);

/** Whether the last label of a (lowercase) hostname is a TLD we accept; punycode TLDs always pass. */
export function hasKnownTld(host: string): boolean {
  const tld = host.slice(host.lastIndexOf('.') + 1);
  return TLDS.has(tld) || tld.startsWith('xn--');
}
