// privacy.tsx - the privacy notice (GDPR articles 13 and 14; the register description of
// 703/2023), built from the register description the server is configured with (GET
// /api/v1/register, citizen/register.ts): controller and contact, data protection officer,
// purposes with the legal basis of each, categories of data and of data subjects, sources,
// recipients and regular disclosures, processors, transfers outside the EU/EEA, retention (the
// text and each rule), the rights and how to use them (the "Your data" page), the right to
// complain to the Data Protection Ombudsman, and how the data is protected. Every configured text
// is shown as text; one not in the page's language is marked with its own. The demo register
// says so at the top. Without the register, the page says it could not be loaded and names the
// controller the front page knows.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadRegister, textIn, type Register, type RegisterText, type RetentionRule } from '../citizen/register';
import { t, type Key, type Lang } from '../i18n';
import { routeOf } from '../route';
import type { ServiceInfo } from '../service';
import { Configured, Heading, type Navigate } from './common';

export type RegisterState = Register | 'loading' | 'failed';

/** The register, loaded when the view shows; the second value loads it again. */
export function useRegister(): [RegisterState, () => void] {
  const [reg, setReg] = useState<RegisterState>('loading');
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setReg('loading');
    loadRegister().then((r) => live && setReg(r), () => live && setReg('failed'));
    return () => {
      live = false;
    };
  }, [round]);
  return [reg, () => setRound((n) => n + 1)];
}

/** A register text in the page's language or its fallback (then marked with its language). */
function R({ text, lang, as = 'span' }: { text: RegisterText; lang: Lang; as?: 'span' | 'p' | 'li' | 'dd' }) {
  const shown = textIn(text, lang);
  const Tag = as;
  return (
    <Tag class="register-text" lang={shown.lang !== lang ? shown.lang : undefined}>
      {shown.text}
    </Tag>
  );
}

function Section({ lang, h, id, children }: { lang: Lang; h: Key; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{t(lang, h)}</h2>
      {children}
    </section>
  );
}

function TextList({ lang, items, none }: { lang: Lang; items: RegisterText[]; none: Key }) {
  if (items.length === 0) return <p>{t(lang, none)}</p>;
  return (
    <ul>
      {items.map((x, i) => (
        <R key={i} text={x} lang={lang} as="li" />
      ))}
    </ul>
  );
}

function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([dt, dd]) => (
        <div key={dt}>
          <dt>{dt}</dt>
          {dd}
        </div>
      ))}
    </dl>
  );
}

/** One retention rule in words: "Adult social work: 12 years from when the conversation is closed". */
function ruleText(lang: Lang, r: RetentionRule, names: Map<string, string>): string {
  const what = r.category === '*' ? t(lang, 'privacy.retention.other') : names.get(r.category) ?? r.category;
  const period = r.years !== null
    ? t(lang, r.years === 1 ? 'privacy.retention.year' : 'privacy.retention.years', { n: String(r.years) })
    : t(lang, r.days === 1 ? 'privacy.retention.day' : 'privacy.retention.days', { n: String(r.days) });
  const from = t(lang, r.from === 'close' ? 'privacy.retention.fromClose' : 'privacy.retention.fromEnd');
  return t(lang, 'privacy.retention.rule', { what, period, from });
}

/** The rights, each in a sentence, and where to use them. */
function Rights({ lang, nav, register }: { lang: Lang; nav: Navigate; register: Register }) {
  const keys: Key[] = ['privacy.rights.access', 'privacy.rights.log', 'privacy.rights.correct', 'privacy.rights.restrict',
    'privacy.rights.object', 'privacy.rights.erase', 'privacy.rights.portability', 'privacy.rights.consent'];
  return (
    <Section lang={lang} h="privacy.rights.h" id="privacy-rights-h">
      <ul>
        {keys.map((k) => (
          <li key={k}>{t(lang, k)}</li>
        ))}
      </ul>
      <p>
        {t(lang, 'privacy.rights.mydata')}{' '}
        <a
          href="#/mydata"
          onClick={(e) => {
            if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            nav(routeOf('#/mydata'));
          }}
        >
          {t(lang, 'privacy.rights.mydataLink')}
        </a>
      </p>
      <p>{t(lang, 'privacy.rights.contact')}</p>
      <R text={register.rightsContact} lang={lang} as="p" />
    </Section>
  );
}

/** The Data Protection Ombudsman: the right to complain and its public contact details. */
function Complain({ lang }: { lang: Lang }) {
  return (
    <Section lang={lang} h="privacy.complain.h" id="privacy-complain-h">
      <p>{t(lang, 'privacy.complain.text')}</p>
      <address>
        {t(lang, 'privacy.complain.name')}
        <br />
        {t(lang, 'privacy.complain.address')}
        <br />
        {t(lang, 'privacy.complain.email')}
        <br />
        {t(lang, 'privacy.complain.web')}
      </address>
    </Section>
  );
}

function Notice({ lang, nav, register, service }: { lang: Lang; nav: Navigate; register: Register; service: ServiceInfo | null }) {
  const names = new Map((service?.categories ?? []).map((c) => [c.category, c.name]));
  return (
    <>
      {register.demo && (
        <div class="notice" role="note" id="privacy-demo">
          <h2>{t(lang, 'privacy.demo.h')}</h2>
          <p>{t(lang, 'privacy.demo.text')}</p>
        </div>
      )}
      <Section lang={lang} h="privacy.controller.h" id="privacy-controller-h">
        <Facts rows={[
          [t(lang, 'privacy.controller.name'), <R text={register.controller.name} lang={lang} as="dd" />],
          [t(lang, 'privacy.controller.address'), <R text={register.controller.address} lang={lang} as="dd" />],
          [t(lang, 'privacy.controller.contact'), <R text={register.controller.contact} lang={lang} as="dd" />],
        ]} />
      </Section>
      <Section lang={lang} h="privacy.dpo.h" id="privacy-dpo-h">
        <Facts rows={[
          [t(lang, 'privacy.dpo.name'), <R text={register.dpo.name} lang={lang} as="dd" />],
          [t(lang, 'privacy.dpo.contact'), <R text={register.dpo.contact} lang={lang} as="dd" />],
        ]} />
      </Section>
      <Section lang={lang} h="privacy.purposes.h" id="privacy-purposes-h">
        <ul class="purposes">
          {register.purposes.map((p, i) => (
            <li key={i}>
              <R text={p.purpose} lang={lang} as="p" />
              <p>
                <strong>{t(lang, 'privacy.purposes.basis')}</strong> <R text={p.basis} lang={lang} />
              </p>
            </li>
          ))}
        </ul>
      </Section>
      <Section lang={lang} h="privacy.data.h" id="privacy-data-h">
        <TextList lang={lang} items={register.dataCategories} none="privacy.none" />
      </Section>
      <Section lang={lang} h="privacy.subjects.h" id="privacy-subjects-h">
        <TextList lang={lang} items={register.subjects} none="privacy.none" />
      </Section>
      <Section lang={lang} h="privacy.sources.h" id="privacy-sources-h">
        <TextList lang={lang} items={register.sources} none="privacy.none" />
      </Section>
      <Section lang={lang} h="privacy.recipients.h" id="privacy-recipients-h">
        <TextList lang={lang} items={register.recipients} none="privacy.recipients.none" />
        <h3>{t(lang, 'privacy.disclosures.h')}</h3>
        <TextList lang={lang} items={register.regularDisclosures} none="privacy.disclosures.none" />
      </Section>
      <Section lang={lang} h="privacy.processors.h" id="privacy-processors-h">
        {register.processors.length === 0 ? <p>{t(lang, 'privacy.processors.none')}</p> : (
          <ul>
            {register.processors.map((p, i) => (
              <li key={i}>
                <strong class="register-text">{p.name}</strong>: <R text={p.task} lang={lang} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section lang={lang} h="privacy.transfers.h" id="privacy-transfers-h">
        {register.transfers === null ? <p>{t(lang, 'privacy.transfers.none')}</p> : <R text={register.transfers} lang={lang} as="p" />}
      </Section>
      <Section lang={lang} h="privacy.retention.h" id="privacy-retention-h">
        <R text={register.retention.text} lang={lang} as="p" />
        <ul>
          {register.retention.rules.map((r, i) => (
            <li key={i}>{ruleText(lang, r, names)}</li>
          ))}
        </ul>
        <p>{t(lang, 'privacy.retention.copy', { days: String(register.retention.channelCopyDays) })}</p>
      </Section>
      <Rights lang={lang} nav={nav} register={register} />
      <Complain lang={lang} />
      <Section lang={lang} h="privacy.security.h" id="privacy-security-h">
        <p>{t(lang, 'privacy.security.text')}</p>
      </Section>
    </>
  );
}

export function PrivacyNotice({ lang, nav, service }: { lang: Lang; nav: Navigate; service: ServiceInfo | null }) {
  const [register, retry] = useRegister();
  return (
    <>
      <Heading>{t(lang, 'privacy.title')}</Heading>
      <p class="lead">{t(lang, 'privacy.intro')}</p>
      {register === 'loading' && <p role="status">{t(lang, 'privacy.loading')}</p>}
      {register === 'failed' && (
        <>
          <div class="error" role="alert">
            <p>{t(lang, 'privacy.failed')}</p>
          </div>
          <p>
            <button type="button" class="secondary" onClick={retry}>
              {t(lang, 'privacy.retry')}
            </button>
          </p>
          <Section lang={lang} h="privacy.controller.h" id="privacy-controller-h">
            <Configured lang={lang} value={service?.controller_name} />
            <p>{t(lang, 'privacy.controller.contact')}</p>
            <Configured lang={lang} value={service?.privacy_contact} />
          </Section>
          <Complain lang={lang} />
        </>
      )}
      {typeof register === 'object' && <Notice lang={lang} nav={nav} register={register} service={service} />}
    </>
  );
}
