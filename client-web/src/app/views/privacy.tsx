// privacy.tsx - the privacy notice (GDPR articles 13 and 14): controller, contact, purpose, legal
// basis, the data, its sources and recipients, retention, rights and protection. The controller
// and the contact are the organiser's, from the server's configuration (controller_name,
// privacy_contact); the rest is the same for every organiser.
import type { ComponentChildren } from 'preact';
import { t, type Key, type Lang } from '../i18n';
import type { ServiceInfo } from '../service';
import { Configured, Heading } from './common';

function Section({ lang, h, children }: { lang: Lang; h: Key; children: ComponentChildren }) {
  return (
    <section>
      <h2>{t(lang, h)}</h2>
      {children}
    </section>
  );
}

function List({ lang, keys }: { lang: Lang; keys: Key[] }) {
  return (
    <ul>
      {keys.map((k) => (
        <li key={k}>{t(lang, k)}</li>
      ))}
    </ul>
  );
}

export function PrivacyNotice({ lang, service }: { lang: Lang; service: ServiceInfo | null }) {
  return (
    <>
      <Heading>{t(lang, 'privacy.title')}</Heading>
      <p class="lead">{t(lang, 'privacy.intro')}</p>
      <Section lang={lang} h="privacy.controller.h">
        <p>{t(lang, 'privacy.controller.text')}</p>
        <Configured lang={lang} value={service?.controller_name} />
      </Section>
      <Section lang={lang} h="privacy.contact.h">
        <p>{t(lang, 'privacy.contact.text')}</p>
        <Configured lang={lang} value={service?.privacy_contact} />
      </Section>
      <Section lang={lang} h="privacy.purpose.h">
        <p>{t(lang, 'privacy.purpose.text')}</p>
      </Section>
      <Section lang={lang} h="privacy.basis.h">
        <p>{t(lang, 'privacy.basis.text')}</p>
      </Section>
      <Section lang={lang} h="privacy.data.h">
        <List lang={lang} keys={['privacy.data.id', 'privacy.data.messages', 'privacy.data.log', 'privacy.data.contact']} />
      </Section>
      <Section lang={lang} h="privacy.sources.h">
        <p>{t(lang, 'privacy.sources.text')}</p>
      </Section>
      <Section lang={lang} h="privacy.recipients.h">
        <p>{t(lang, 'privacy.recipients.text')}</p>
      </Section>
      <Section lang={lang} h="privacy.retention.h">
        <p>{t(lang, 'privacy.retention.text')}</p>
      </Section>
      <Section lang={lang} h="privacy.rights.h">
        <List
          lang={lang}
          keys={['privacy.rights.access', 'privacy.rights.log', 'privacy.rights.correct', 'privacy.rights.restrict', 'privacy.rights.complain']}
        />
      </Section>
      <Section lang={lang} h="privacy.security.h">
        <p>{t(lang, 'privacy.security.text')}</p>
      </Section>
    </>
  );
}
