import type { Classification, NormalizedAlert, ResultFlag, Severity } from '@triage/contracts';
import { type LinearPattern, linear, PatternSet } from './linear.ts';
import type { Evidence } from './rules/evidence.ts';
import { decodePowerShell } from './rules/powershell.ts';
import type { RulesVerdict } from './rules/rules-engine.ts';
import { foldText } from './text-normalize.ts';

/**
 * Alert content is attacker-controlled. Before the LLM sees it, text that tries to instruct a
 * model is detected (after folding look-alikes and invisibles) and becomes evidence toward review;
 * after the LLM answers, its verdict is checked against intel and the rules.
 */

/** English patterns, matched on folded text (and its leetspeak-folded form). */
const EN: Array<[string, LinearPattern]> = [
  [
    'ignore-instructions',
    linear(
      /\b(?:ignore|disregard|forget|override|bypass|skip|drop)\b.{0,30}\b(?:previous|prior|above|earlier|preceding|system|original|initial|existing|your|all)\b.{0,25}\b(?:instruction|prompt|rule|direction|guideline|context|message|order|polic(?:y|ie))s?\b/,
    ),
  ],
  [
    'role-change',
    linear(
      /\byou are (?:now|no longer)\b|\bfrom now on,? (?:you|your)\b|\bact as (?:an? |the )?(?:ai|assistant|analyst|system|model|classifier|admin|dan|gpt|llm|triage)\b|\b(?:pretend|imagine)\b.{0,20}\byou\b|\brole[ -]?play\b/,
    ),
  ],
  [
    'chat-markup',
    linear(
      /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[\/?inst\]|<<\/?sys>>|###\s*(?:instruction|system|response)|<\/?(?:system|assistant)>|(?:^|[\n"'{>|\]])\s*(?:system|assistant|developer)\s*:\s/,
    ),
  ],
  [
    'system-directive',
    linear(
      /\bsystem\s*:\s*(?:you|ignore|disregard|new|classify|mark|treat|respond|return|output|set|override|the (?:ai|assistant|model)|as an?)\b|\bsystem (?:prompt|override|instruction)s?\b/,
    ),
  ],
  [
    'verdict-steering',
    linear(
      /\b(?:classify|categori[sz]e|label|mark|flag|tag|set|return|output|respond with|answer with|report|treat|consider)\b.{0,30}\b(?:as|to|with|:)\s*(?:an? )?["']?(?:false[ _-]?positive|benign|harmless|safe|true negative|not malicious|low risk|no threat)\b/,
    ),
  ],
  [
    'verdict-claim',
    linear(
      /\bthis (?:alert|event|activity|incident|log|traffic|request) is (?:an? )?(?:false[ _-]?positive|benign|harmless|safe|authori[sz]ed|expected|a test)\b|\b(?:don'?t|do not|never) (?:escalate|alert on|flag|report) (?:this|it)\b/,
    ),
  ],
  [
    'verdict-json',
    linear(
      /\b(?:classification|verdict|decision|triage)["']?\s*[:=]\s*["']?(?:false[ -]?positive|true[ -]?positive|needs[ -]?review|benign|malicious)\b|\bis (?:false positive|malicious|benign)["']?\s*[:=]\s*["']?(?:true|false)\b/,
    ),
  ],
  [
    'model-address',
    linear(
      /\b(?:dear|hey|hi|note to|attention|message for) (?:the )?(?:ai|llm|model|assistant|gemini|gpt|chatgpt|claude|bot|classifier)\b|\bas an? (?:ai|language model)\b|\b(?:dan mode|do anything now)\b/,
    ),
  ],
  [
    'fence-escape',
    linear(
      /untrusted[_ ]data|<<<|>>>|\bend of (?:alert|data|input|untrusted)\b|\b(?:new|updated|real|actual|hidden|secret) instructions?\s*:/,
    ),
  ],
  // Social engineering aimed at whoever reads the alert (a model or a tired analyst): claims of
  // authorisation, ticket numbers offered as proof, "expected activity", orders to close. Alert
  // content never carries a real authorisation: that lives in the change system, not in a log line.
  [
    'authorisation-claim',
    linear(
      /\b(?:authori[sz]ed|approved|sanctioned|signed off|cleared|permitted|whitelisted|allow-?listed)\s+(?:by|through|via|per|under)\s+(?:the\s+|our\s+)?(?:ciso|cio|cto|ceo|soc|it|security|infosec|management|manager|admin\w*|red team|blue team|legal|change (?:board|management)|cab)\b|\b(?:pen ?test(?:ing)?|penetration test|red ?team(?:ing)?|security (?:test|exercise|assessment|audit)|purple team)\b.{0,40}\b(?:authori[sz]ed|approved|sanctioned|scheduled|in progress|ongoing|expected)\b/,
    ),
  ],
  [
    'ticket-as-proof',
    linear(
      /\b(?:ticket|change(?: request)?|cr|chg|rfc|jira|servicenow|snow|case|work order|approval)\s*(?:#|no\.?|number|id|ref(?:erence)?)?\s*:?\s*[a-z]{0,8}-?\d{3,}\b.{0,60}\b(?:close|closed|dismiss|ignore|expected|authori[sz]ed|approved|benign|safe|no action|false positive)\b/,
    ),
  ],
  [
    'close-directive',
    linear(
      /(?:^|[.!?;:\n"'>]\s*|\b(?:please|kindly|just|simply)\s+)(?:close|dismiss|resolve|suppress|ignore|disregard|mute|skip|downgrade|whitelist|allowlist|auto-?close|deprioriti[sz]e)\s+(?:this|it|the (?:alert|event|incident|finding|ticket|detection)|as|all)\b/,
    ),
  ],
  [
    'expected-activity',
    linear(
      /\b(?:expected|authori[sz]ed|approved|sanctioned|legitimate|known[- ]good|benign|harmless|whitelisted) (?:activity|behaviou?r|traffic|testing|operation|admin(?:istrative)? (?:activity|work))\b|\bno (?:further )?action (?:is )?(?:needed|required|necessary)\b|\b(?:this is|it'?s|it is) (?:just |only )?(?:a )?(?:false alarm|test(?:ing)?|drill|expected|authori[sz]ed|known|nothing|fine|ok)\b/,
    ),
  ],
  [
    'role-play',
    linear(
      /\b(?:role[- ]?play|let'?s play|play the (?:role|part) of|stay in character|you are (?:an?|the|my) (?:helpful|friendly|obedient|security|soc|senior|new)\b|as (?:the|your) (?:ciso|supervisor|manager|administrator|boss|developer|creator)\b|(?:i am|i'?m|this is) (?:the|your) (?:ciso|supervisor|manager|administrator|boss|developer|creator|soc lead)\b)/,
    ),
  ],
  [
    'output-control',
    linear(
      /\b(?:respond|reply|answer|output|return) (?:only )?(?:with|in) (?:json|the following|this)\b|\bset (?:the )?confidence (?:to|=|:)\s*\d{1,3}\b/,
    ),
  ],
];

/** Other languages, matched on NFKC text without Latin folding (it would mangle Cyrillic). */
const INTL: Array<[string, LinearPattern]> = [
  [
    'ignore-instructions:es',
    linear(/ignora(?:r)?\s+(?:todas\s+)?(?:las\s+)?instrucciones(?:\s+(?:anteriores|previas))?/u),
  ],
  [
    'verdict-steering:es',
    linear(/(?:clasifica|marca|etiqueta)\p{L}*\s.{0,30}(?:falso positivo|benign[oa]|inofensiv[oa])/u),
  ],
  [
    'ignore-instructions:fr',
    linear(
      /ignore[zr]?\s+(?:toutes\s+)?(?:les\s+)?instructions\s+(?:précédentes|precedentes|antérieures|anterieures)/u,
    ),
  ],
  [
    'verdict-steering:fr',
    linear(/(?:classe|marque|étiquette|etiquette)\p{L}*\s.{0,30}(?:faux positif|bénin|benin|inoffensi)/u),
  ],
  [
    'ignore-instructions:de',
    linear(
      /ignorier\p{L}*\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen|früheren)\s+(?:anweisungen|instruktionen|befehle)/u,
    ),
  ],
  [
    'verdict-steering:de',
    linear(
      /als\s+(?:falsch[- ]?positiv\p{L}*|harmlos|gutartig|fehlalarm)\s+(?:einstufen|markieren|klassifizieren|werten)/u,
    ),
  ],
  [
    'ignore-instructions:pt-it',
    linear(
      /ignor[ea]\s+(?:as\s+|todas\s+as\s+|le\s+|tutte\s+le\s+)?(?:instruções|instrucoes|istruzioni)\s+(?:anteriores|precedenti)/u,
    ),
  ],
  [
    'verdict-steering:pt-it',
    linear(/(?:classifi|marc|segn|contrassegn)\p{L}*\s.{0,30}(?:falso positivo|benign[oa]|innocu[oa])/u),
  ],
  [
    'ignore-instructions:ru',
    linear(
      /игнорир\p{L}*\s+(?:все\s+)?(?:предыдущие|прежние|вышеуказанные)\s+(?:инструкции|указания|команды)/u,
    ),
  ],
  [
    'verdict-steering:ru',
    linear(
      /(?:классифицир|помет|отмет)\p{L}*\s.{0,30}(?:ложн\p{L}*\s*срабатыв\p{L}*|ложноположительн\p{L}*|безопасн\p{L}*|безвредн\p{L}*)/u,
    ),
  ],
  ['role-change:ru', linear(/ты\s+теперь\s|теперь\s+ты\s/u)],
  [
    'ignore-instructions:zh',
    linear(/忽略(?:之前|以前|上述|先前|所有|前面)(?:的)?(?:所有)?(?:指令|说明|指示|规则)/u),
  ],
  ['verdict-steering:zh', linear(/(?:标记|分类|归类|判定)(?:为|成)?(?:误报|良性|安全|无害)|你现在是/u)],
  ['ignore-instructions:ja', linear(/(?:以前|前|上記)の(?:指示|命令|指令)を(?:無視|忘れ)/u)],
  ['verdict-steering:ja', linear(/誤検知として(?:分類|マーク|扱)/u)],
  ['ignore-instructions:ko', linear(/이전\s*(?:지시|명령|지침)(?:을|를)?\s*무시/u)],
  ['verdict-steering:ko', linear(/오탐(?:으로)?\s*(?:분류|표시|처리)/u)],
  ['ignore-instructions:ar', linear(/تجاهل\s+(?:جميع\s+)?(?:التعليمات|الأوامر)\s+السابقة/u)],
  [
    'social-engineering:es',
    linear(
      /autorizad[oa]s?\s+por|aprobad[oa]\s+por|actividad\s+(?:esperada|autorizada|prevista|legítima)|(?:cierra|cerrar|cierre|ignora|ignore|descarta)\s+(?:esta|la|este|el)\s+(?:alerta|evento|incidente)|es\s+un\s+falso\s+positivo/u,
    ),
  ],
  [
    'social-engineering:fr',
    linear(
      /autoris[ée]e?s?\s+par|approuv[ée]e?\s+par|activit[ée]\s+(?:attendue|autoris[ée]e|pr[ée]vue|l[ée]gitime)|(?:fermez|fermer|cl[ôo]turez|cl[ôo]turer|ignorez|ignorer)\s+(?:cette|l['’]|ce)\s*(?:alerte|[ée]v[ée]nement|incident)|c['’]est\s+un\s+faux\s+positif/u,
    ),
  ],
  [
    'social-engineering:de',
    linear(
      /genehmigt\s+(?:durch|von)|autorisiert\s+(?:durch|von)|freigegeben\s+(?:durch|von)|erwartete\s+aktivität|(?:schließ|schliess|ignorier)\p{L}*\s+(?:sie\s+)?(?:diesen|den|diese|die)\s+(?:alarm|warnung|meldung|vorfall)|(?:alarm|meldung|vorfall)\s+(?:schließen|schliessen|ignorieren)|ist\s+ein\s+fehlalarm/u,
    ),
  ],
  [
    'social-engineering:pt-it',
    linear(
      /autorizad[oa]\s+pel[oa]|aprovad[oa]\s+pel[oa]|atividade\s+(?:esperada|autorizada|prevista)|(?:feche|fechar|ignore|ignorar)\s+(?:este|o|esta|a)\s+(?:alerta|evento|incidente)|autorizzat[oa]\s+da|approvat[oa]\s+da|attività\s+(?:prevista|autorizzata|attesa)|(?:chiudi|chiudere|ignora|ignorare)\s+(?:questo|questa|l['’])\s*(?:allerta|avviso|allarme|evento|incidente)/u,
    ),
  ],
  [
    'social-engineering:ru-uk',
    linear(
      /(?:разрешено|санкционировано|согласовано|одобрено|авторизовано)\s+(?:\p{L}+\s+){0,2}(?:ciso|директор\p{L}*|руководств\p{L}*|службой|отдел\p{L}*|безопасност\p{L}*)|ожидаемая\s+активность|плановая\s+(?:активность|проверка)|(?:закрой|закройте|игнорируй|игнорируйте|проигнорируй)\p{L}*\s+(?:этот\s+|это\s+|данный\s+)?(?:алерт|инцидент|тикет|событие|оповещение|предупреждение)|дозволено|очікувана\s+активність|закрий\p{L}*\s+(?:цей\s+)?(?:алерт|інцидент)/u,
    ),
  ],
  [
    'social-engineering:zh-ja-ko',
    linear(
      /已(?:获|經|经)?授权|经.{0,8}批准|已批准|预期(?:的)?(?:活动|行为)|(?:关闭|忽略)(?:此|这个|该)?(?:告警|警报|事件)|承認済み|許可された(?:活動|テスト)|想定された(?:活動|動作)|この(?:アラート|警告)を(?:閉じ|無視)|승인된\s*(?:활동|테스트)|예상된\s*활동|이\s*(?:경보|알림|경고)(?:를|을)?\s*(?:닫|무시)/u,
    ),
  ],
  [
    'social-engineering:other',
    linear(
      /geautoriseerd\s+door|verwachte\s+activiteit|sluit\s+(?:deze|dit)\s+(?:melding|alert|incident)|autoryzowan\p{L}*\s+przez|oczekiwana\s+aktywność|zamknij\s+(?:ten\s+)?(?:alert|incydent)|yetkilendiril\p{L}*|beklenen\s+etkinlik|bu\s+uyarıyı\s+kapat|مصرح\s+به|نشاط\s+متوقع|أغلق\s+(?:هذا\s+)?التنبيه/u,
    ),
  ],
  [
    'ignore-instructions:other',
    linear(
      /önceki talimatları|zignoruj\s+(?:wszystkie\s+)?poprzednie|negeer\s+(?:alle\s+)?(?:vorige|eerdere)\s+instructies|ігноруй\p{L}*\s+(?:всі\s+)?попередні/u,
    ),
  ],
];

const EN_SET = new PatternSet(EN.map(([, re]) => re));
const INTL_SET = new PatternSet(INTL.map(([, re]) => re));

export interface InjectionMatch {
  pattern: string;
  field: string;
  excerpt: string;
}
export interface InjectionFinding {
  suspected: boolean;
  matches: InjectionMatch[];
  obfuscated: boolean;
}

/**
 * Most characters of one string that are read: the normalizers keep at most 64 KiB of a field
 * (what the rules read), and the Gemini prompt shows a prefix of each string and at most
 * GEMINI_MAX_PROMPT_CHARS in all. Callers pass that limit when it is larger, so every character
 * the model can be shown is read; past the limit a string is never shown, whatever its size.
 */
export const INJECTION_SCAN_CHARS = 64 * 1024;

/** Shorter strings hold no steering phrase. */
const MIN_SCANNED = 6;

/**
 * Every distinct string of the alert (values and keys, raw included) with the path it was first
 * found at, each cut at `maxChars`. No budget across strings: one long field does not hide the
 * ones after it (the work is bounded by the size of the alert the ingest accepted).
 */
function collect(alert: NormalizedAlert, maxChars: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  const add = (path: string, s: string) => {
    if (seen.has(s)) return;
    seen.add(s);
    out.push([path, s]);
  };
  // Decoding is remembered apart from reading: a string first met as a key or as a decoded
  // payload is read then, and still decoded when it comes again where the prompt decodes it.
  const decoded = new Set<string>();
  const read = (path: string, v: string) => {
    const s = v.length > maxChars ? v.slice(0, maxChars) : v;
    add(path, s);
    // Decoded as the prompt and the rules decode it (whether or not it names PowerShell), so
    // every payload the model is shown is read here.
    if (decoded.has(s)) return;
    decoded.add(s);
    for (const d of decodePowerShell(s))
      add(`${path}(decoded)`, d.length > maxChars ? d.slice(0, maxChars) : d);
  };
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 24) return;
    if (typeof v === 'string') {
      read(path, v);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, depth + 1);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        // The prompt shows keys too (the raw excerpt): one as short as a steering phrase is read.
        if (k.length >= MIN_SCANNED) read(`${path}{key}`, k);
        walk(x, path ? `${path}.${k}` : k, depth + 1);
      }
    }
  };
  const { fingerprint: _fp, ...rest } = alert;
  walk(rest, '', 0);
  return out;
}

/**
 * `maxChars`: how much of each string is read (INJECTION_SCAN_CHARS, or the prompt budget when
 * that is larger).
 */
export function detectInjection(alert: NormalizedAlert, maxChars = INJECTION_SCAN_CHARS): InjectionFinding {
  const matches: InjectionMatch[] = [];
  let obfuscated = false;
  const seen = new Set<string>();
  for (const [field, value] of collect(alert, Math.max(maxChars, INJECTION_SCAN_CHARS))) {
    if (value.length < MIN_SCANNED) continue;
    const t = foldText(value);
    const en = new Set(EN_SET.matching(t.folded));
    // Without leetspeak the leet form is the folded one: one pass is enough.
    if (t.leet !== t.folded) for (const i of EN_SET.matching(t.leet)) en.add(i);
    for (const i of en) {
      const [name, re] = EN[i]!;
      const m = re.exec(t.folded) ?? (t.leet !== t.folded ? re.exec(t.leet) : null);
      if (m) record(name, field, m, t.obfuscated);
    }
    for (const i of INTL_SET.matching(t.plain)) {
      const [name, re] = INTL[i]!;
      const m = re.exec(t.plain);
      if (m) record(name, field, m, t.obfuscated);
    }
  }
  function record(pattern: string, field: string, m: RegExpExecArray, obf: boolean) {
    const key = `${pattern}|${field.replace(/\[\d+\]/g, '')}`;
    if (obf) obfuscated = true;
    if (seen.has(key) || matches.length >= 10) return;
    seen.add(key);
    matches.push({ pattern, field: field || 'alert', excerpt: m[0].slice(0, 80) });
  }
  return { suspected: matches.length > 0, matches, obfuscated };
}

/** Injection is evidence toward review (someone is trying to hide something), never toward noise. */
export function injectionEvidence(f: InjectionFinding): Evidence | undefined {
  if (!f.suspected) return undefined;
  const m = f.matches[0]!;
  return {
    id: 'guard.injection',
    weight: 1.5,
    title: 'Alert text tries to instruct the classifier',
    reason: `Field ${m.field} contains text aimed at an AI classifier ("${m.excerpt}"${f.obfuscated ? ', hidden with look-alike or invisible characters' : ''}); treated as data and as a sign of tampering.`,
    mitre: ['T1036'],
  };
}

export interface LlmProposal {
  classification: Classification;
  confidence: number;
  severity: Severity;
}

export interface GuardedVerdict extends LlmProposal {
  flags: ResultFlag[];
  notes: string[];
}

const SEV_RANK: Record<Severity, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Informational: 4 };

/**
 * Post-LLM checks. The LLM may close noise, but an LLM FALSE_POSITIVE stands only when the rules
 * found no threat-leaning evidence and no intel provider rates an observable suspicious or worse
 * (otherwise NEEDS_REVIEW + `intel_conflict` / `evidence_conflict`); never when the alert tried to
 * steer it; never on its own with high confidence for a Critical alert.
 */
export function guardLlmVerdict(
  llm: LlmProposal,
  rules: RulesVerdict,
  alert: NormalizedAlert,
  injection: boolean,
): GuardedVerdict {
  const flags: ResultFlag[] = [];
  const notes: string[] = [];
  let { classification, confidence, severity } = llm;
  if (classification === 'FALSE_POSITIVE') {
    const critical = !alert.severity_inferred && alert.severity === 'Critical';
    const lean = rules.threatLeaning;
    if (rules.flaggedIntel.length > 0) {
      flags.push('intel_conflict');
      notes.push(`Gemini proposed FALSE_POSITIVE, but ${rules.flaggedIntel[0]}: kept for an analyst.`);
    }
    if (lean) {
      flags.push('evidence_conflict');
      notes.push(
        `Gemini proposed FALSE_POSITIVE, but the rules found ${lean.title ?? lean.id} (${lean.reason.slice(0, 160)}): kept for an analyst.`,
      );
    }
    if (notes.length > 0) {
      classification = 'NEEDS_REVIEW';
    } else if (injection) {
      notes.push(
        'Gemini proposed FALSE_POSITIVE for an alert that contains instructions aimed at the model: kept for review.',
      );
      classification = 'NEEDS_REVIEW';
    } else if (critical && rules.classification !== 'FALSE_POSITIVE' && confidence >= 70) {
      notes.push(
        'Gemini alone may not close a Critical alert with high confidence; the rules do not agree it is noise.',
      );
      classification = 'NEEDS_REVIEW';
    } else if (critical && rules.classification !== 'FALSE_POSITIVE') {
      confidence = Math.min(confidence, 69);
    } else if (alert.severity === 'High' && rules.classification !== 'FALSE_POSITIVE') {
      confidence = Math.min(confidence, 80);
    }
    if (classification === 'NEEDS_REVIEW') confidence = 60;
  }
  if (classification === 'TRUE_POSITIVE' && SEV_RANK[rules.severity] < SEV_RANK[severity]) {
    severity = rules.severity;
  }
  if (classification === 'NEEDS_REVIEW' && SEV_RANK[alert.severity] < SEV_RANK[severity])
    severity = alert.severity;
  return { classification, confidence, severity, flags, notes };
}
