// accessibility.tsx - the accessibility statement (Act 306/2019): status against WCAG 2.1 AA,
// how it was checked, known issues, the feedback channel (the organiser's, from the server's
// configuration: accessibility_contact) and the supervisory authority.
import { t, type Key, type Lang } from '../i18n';
import type { ServiceInfo } from '../service';
import { Configured, Heading } from './common';

const SECTIONS: [Key, Key][] = [
  ['a11y.status.h', 'a11y.status.text'],
  ['a11y.checked.h', 'a11y.checked.text'],
  ['a11y.known.h', 'a11y.known.text'],
];

export function AccessibilityStatement({ lang, service }: { lang: Lang; service: ServiceInfo | null }) {
  return (
    <>
      <Heading>{t(lang, 'a11y.title')}</Heading>
      <p class="lead">{t(lang, 'a11y.intro')}</p>
      {SECTIONS.map(([h, text]) => (
        <section key={h}>
          <h2>{t(lang, h)}</h2>
          <p>{t(lang, text)}</p>
        </section>
      ))}
      <section>
        <h2>{t(lang, 'a11y.feedback.h')}</h2>
        <p>{t(lang, 'a11y.feedback.text')}</p>
        <Configured lang={lang} value={service?.accessibility_contact} />
      </section>
      <section>
        <h2>{t(lang, 'a11y.authority.h')}</h2>
        <p>{t(lang, 'a11y.authority.text')}</p>
      </section>
      <p>{t(lang, 'a11y.date')}</p>
    </>
  );
}
